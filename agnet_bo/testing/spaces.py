"""Conformance checks for :class:`~agnet_bo.spaces.SearchSpace` implementations.

Two ways to run them on your own space::

    from agnet_bo.testing import SearchSpaceTests, check_search_space

    check_search_space(MySpace())           # anywhere: raises AssertionError on the first failure

    class TestMySpace(SearchSpaceTests):    # in a pytest file: one test per check
        def make_space(self):
            return MySpace()

The checks only use the public contract of :class:`SearchSpace`, so they hold for every correct
space; a failure names the check and what went wrong.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.spaces.base import SearchSpace

__all__ = ["SearchSpaceTests", "check_search_space", "SPACE_CHECKS"]


def _n_for(space: SearchSpace, n: int) -> int:
    size = space.size
    return n if size is None else min(n, size)


def check_structure(space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """``node_types``, ``max_nodes``, masks and fixed adjacency are consistent."""
    types = space.node_types
    assert len(types) >= 3, f"node_types needs input, output and at least one op, got {types}"
    assert types[0] == INPUT and types[-1] == OUTPUT, f"node_types must start with input and end with output: {types}"
    assert len(set(types)) == len(types), f"node_types has duplicates: {types}"
    assert 2 <= space.min_nodes <= space.max_nodes, f"bad node range {space.min_nodes}..{space.max_nodes}"
    tmask = np.asarray(space.node_type_mask())
    assert tmask.shape == (space.max_nodes, len(types)) and tmask.dtype == bool, f"node_type_mask shape {tmask.shape}"
    emask = np.asarray(space.edge_mask())
    assert emask.shape == (space.max_nodes, space.max_nodes) and emask.dtype == bool, f"edge_mask shape {emask.shape}"
    assert not np.tril(emask).any(), "edge_mask allows an edge that is not strictly upper-triangular"
    fixed = space.fixed_adjacency
    for arch in space.sample(_n_for(space, n), seed=seed):
        m = arch.num_nodes
        assert space.min_nodes <= m <= space.max_nodes, f"{arch} has {m} nodes outside {space.min_nodes}..{space.max_nodes}"
        if space.max_edges is not None:
            assert arch.num_edges <= space.max_edges, f"{arch} has more than max_edges={space.max_edges} edges"
        if fixed is not None:
            assert np.array_equal(arch.adjacency, fixed), f"{arch} does not have the fixed adjacency"
        for t, op in enumerate(arch.ops):
            assert op in types, f"{op!r} of {arch} is not in node_types"
            assert tmask[t, types.index(op)], f"node_type_mask forbids {op!r} at position {t}, but {arch} has it"
        for u, v in arch.edges:
            assert emask[u, v], f"edge_mask forbids {u}->{v}, but sampled {arch} has it"
        assert space.simplify(arch) == arch, f"sample returned {arch}, which simplify() changes"
        adj = arch.adjacency
        for t in range(1, m):
            allowed = np.asarray(space.allowed_sources(t, arch.ops[t], arch.ops[: t + 1], adj[:t, :t]))
            assert allowed.shape == (t,) and allowed.dtype == bool, f"allowed_sources({t}) shape {allowed.shape}"
            sources = np.flatnonzero(adj[:t, t])
            assert allowed[sources].all(), f"allowed_sources forbids an edge into node {t} of sampled {arch}"
            lo, hi = space.in_degree_bounds(t, arch.ops[t])
            lo, hi = min(lo, int(allowed.sum())), min(hi, int(allowed.sum()))  # capped by the allowed sources
            assert lo <= len(sources) <= hi, f"node {t} of {arch} has in-degree {len(sources)} outside [{lo}, {hi}]"


def check_sample(space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """``sample`` returns the requested number of valid architectures with distinct keys."""
    n = _n_for(space, n)
    archs = space.sample(n, seed=seed)
    assert isinstance(archs, list), f"sample must return a list, got {type(archs).__name__}"
    assert len(archs) == n, f"sample({n}) returned {len(archs)} architectures"
    for a in archs:
        assert isinstance(a, Architecture), f"sample returned a {type(a).__name__}"
        space.validate(a)
    keys = [space.key(a) for a in archs]
    assert len(set(keys)) == n, f"sample({n}) returned only {len(set(keys))} distinct keys"
    assert space.sample(0, seed=seed) == [], "sample(0) must return []"


def check_determinism(space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """The same seed gives the same architectures; another seed gives others (if the space is big)."""
    n = _n_for(space, n)
    a = space.sample(n, seed=seed)
    b = space.sample(n, seed=seed)
    assert a == b, "sample with the same seed returned different architectures"
    size = space.size
    if n >= 8 and (size is None or size >= 100 * n):
        c = space.sample(n, seed=seed + 1)
        assert a != c, "sample with different seeds returned identical lists"


def check_key(space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """Keys are strings, stable, equal for the canonical form, and survive valid relabellings."""
    rng = np.random.default_rng(seed)
    for arch in space.sample(_n_for(space, n), seed=seed):
        k = space.key(arch)
        assert isinstance(k, str), f"key must be a str, got {type(k).__name__}"
        assert k == space.key(arch), "key is not stable"
        can = space.canonical(arch)
        assert space.key(can) == k, "key(canonical(arch)) != key(arch)"
        assert space.canonical(can) == can, "canonical is not idempotent"
        copy = Architecture(list(arch.ops), arch.adjacency.copy())
        assert space.key(copy) == k, "equal architectures have different keys"
        # A random topological relabelling is the same network: if the space accepts it, same key.
        perm = _random_topological_order(arch, rng)
        relabelled = Architecture([arch.ops[i] for i in perm], arch.adjacency[np.ix_(perm, perm)])
        if space.is_valid(relabelled):
            assert space.key(relabelled) == k, f"isomorphic relabelling of {arch} changed its key"


def check_encode(space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """``encode`` is ``n x d`` float64, finite, deterministic, and equal keys give equal rows."""
    import torch

    archs = space.sample(_n_for(space, n), seed=seed)
    x = space.encode(archs)
    assert isinstance(x, torch.Tensor), f"encode must return a torch.Tensor, got {type(x).__name__}"
    assert x.shape == (len(archs), space.encoding_dim), f"encode shape {tuple(x.shape)} != ({len(archs)}, {space.encoding_dim})"
    assert x.dtype == torch.float64, f"encode dtype {x.dtype}, expected torch.float64"
    assert torch.isfinite(x).all(), "encode produced non-finite values"
    assert torch.equal(x, space.encode(archs)), "encode is not deterministic"
    assert space.encode(archs[0]).shape == (1, space.encoding_dim), "encode of one architecture must be 1 x d"
    assert space.encode([]).shape == (0, space.encoding_dim), "encode([]) must be 0 x d"
    for a in archs[:8]:
        can = space.canonical(a)
        assert torch.equal(space.encode(a), space.encode(can)), "equal keys must give equal encodings"
    if len(archs) > 1 and space.size != 1:
        distinct = {tuple(row.tolist()) for row in x}
        assert len(distinct) > 1, "encode gives the same row to every architecture"


def check_to_graph(space: SearchSpace, n: int = 8, seed: int = 0) -> None:
    """``to_graph`` returns PyG ``Data`` with one-hot node types and the architecture's edges."""
    import torch

    for arch in space.sample(_n_for(space, n), seed=seed):
        g = space.to_graph(arch)
        assert g.num_nodes == arch.num_nodes, "to_graph: wrong number of nodes"
        assert g.x.shape == (arch.num_nodes, len(space.node_types)), f"to_graph: x shape {tuple(g.x.shape)}"
        assert torch.equal(g.x.sum(dim=1), torch.ones(arch.num_nodes)), "to_graph: x rows must be one-hot"
        assert g.edge_index.dtype == torch.long and g.edge_index.shape == (2, arch.num_edges), "to_graph: edge_index"
        assert {tuple(e) for e in g.edge_index.T.tolist()} == set(arch.edges), "to_graph: edges differ"
        assert [space.node_types[i] for i in g.x.argmax(dim=1).tolist()] == list(arch.ops), "to_graph: node types differ"


def check_rejects_invalid(space: SearchSpace, n: int = 8, seed: int = 0) -> None:
    """Foreign operations and non-architectures are rejected with the library's errors."""
    arch = space.sample(1, seed=seed)[0]
    if arch.num_nodes > 2:
        bad = Architecture([arch.ops[0], "definitely-not-an-op", *arch.ops[2:]], arch.adjacency)
        assert not space.is_valid(bad), "an unknown operation was accepted"
        try:
            space.validate(bad)
        except InvalidArchitectureError as exc:
            assert str(exc), "InvalidArchitectureError without a message"
        else:
            raise AssertionError("validate accepted an unknown operation")
    for not_arch in ("input->output", None, 3):
        try:
            space.validate(not_arch)  # type: ignore[arg-type]
        except (InputError, InvalidArchitectureError):
            pass
        else:
            raise AssertionError(f"validate accepted {not_arch!r}")
    try:
        space.sample(-1, seed=seed)
    except InputError:
        pass
    else:
        raise AssertionError("sample(-1) must raise InputError")
    size = space.size
    if size is not None and not math.isinf(size):
        try:
            space.sample(size + 1, seed=seed)
        except InputError:
            pass
        else:
            raise AssertionError("sample(size + 1) must raise InputError")


def check_members(space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """A space that lists its members lists each once, all valid and simplified, as many as its
    ``size``, the same list every call, and its samples are among them."""
    members = space.members()
    if members is None:
        return
    assert isinstance(members, list), f"members() must return a list or None, got {type(members).__name__}"
    keys = [space.key(a) for a in members]
    assert len(set(keys)) == len(keys), "members() lists the same network twice (equal keys)"
    assert all(space.is_valid(a) for a in members), "members() lists an invalid architecture"
    assert all(space.simplify(a) == a for a in members), "members() lists an architecture that simplify() changes"
    assert space.size == len(members), f"size is {space.size} but members() lists {len(members)}"
    assert [space.key(a) for a in space.members() or []] == keys, "members() differs between calls"
    drawn = {space.key(a) for a in space.sample(_n_for(space, n), seed=seed)}
    assert drawn <= set(keys), "sample() returned an architecture that members() does not list"


def _random_topological_order(arch: Architecture, rng: np.random.Generator) -> list[int]:
    adj = arch.adjacency.astype(bool)
    n = arch.num_nodes
    indeg = adj.sum(axis=0).astype(int)
    ready = [v for v in range(n) if indeg[v] == 0]
    order: list[int] = []
    while ready:
        # keep input first and output last: only pick them when nothing else is possible
        choices = [v for v in ready if v not in (0, n - 1)] or ready
        v = choices[int(rng.integers(len(choices)))]
        ready.remove(v)
        order.append(v)
        for w in np.flatnonzero(adj[v]):
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(int(w))
    if order[0] != 0 or order[-1] != n - 1:
        return list(range(n))
    return order


SPACE_CHECKS = {
    "structure": check_structure,
    "sample": check_sample,
    "determinism": check_determinism,
    "key": check_key,
    "encode": check_encode,
    "to_graph": check_to_graph,
    "rejects_invalid": check_rejects_invalid,
    "members": check_members,
}
"""Every conformance check, by name."""


def check_search_space(space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """Run every conformance check on ``space``.

    Args:
        space: The space to check.
        n: How many architectures each check samples.
        seed: Seed of the samples.

    Raises:
        AssertionError: Naming the first check that failed and why.
    """
    for name, check in SPACE_CHECKS.items():
        try:
            check(space, n=n, seed=seed)
        except AssertionError as exc:
            raise AssertionError(f"search-space check {name!r} failed for {space!r}: {exc}") from exc


class SearchSpaceTests(ABC):
    """Subclass in a pytest file and implement :meth:`make_space`; each check becomes a test.

    Example:
        >>> from agnet_bo.spaces import DAGSpace
        >>> class TestChain(SearchSpaceTests):
        ...     def make_space(self):
        ...         return DAGSpace.chain(["a", "b", "c"], num_layers=3)
        >>> TestChain().test_sample()
    """

    n: int = 32
    seed: int = 0

    @abstractmethod
    def make_space(self) -> SearchSpace:
        """Return the space under test."""

    def test_structure(self) -> None:
        check_structure(self.make_space(), self.n, self.seed)

    def test_sample(self) -> None:
        check_sample(self.make_space(), self.n, self.seed)

    def test_determinism(self) -> None:
        check_determinism(self.make_space(), self.n, self.seed)

    def test_key(self) -> None:
        check_key(self.make_space(), self.n, self.seed)

    def test_encode(self) -> None:
        check_encode(self.make_space(), self.n, self.seed)

    def test_to_graph(self) -> None:
        check_to_graph(self.make_space(), min(self.n, 8), self.seed)

    def test_members(self) -> None:
        check_members(self.make_space(), self.n, self.seed)

    def test_rejects_invalid(self) -> None:
        check_rejects_invalid(self.make_space(), min(self.n, 8), self.seed)
