"""A search space made of a given list of architectures."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError
from agnet_bo.spaces.base import SearchSpace, SeedLike, make_rng

if TYPE_CHECKING:
    import torch
    from torch import nn
    from torch_geometric.data import Data

__all__ = ["CandidateSpace"]


class CandidateSpace(SearchSpace):
    r"""The architectures of a list: a model zoo, the results of an earlier search, the trained
    subset of a benchmark. A search over it picks from the list only.

    Structure, identity and encodings come from ``base``, the space the architectures belong
    to (so isomorphic duplicates are merged, surrogates see the usual encodings, and a generator
    pretrained for ``base`` serves the list too). Membership is the list: :meth:`validate`
    rejects anything else. The space is finite and lists its :meth:`members`, so the optimizer
    runs to its exhaustion and draws the generator's proposals from the members left, in
    proportion to the generator's likelihood (:class:`~agnet_bo.proposers.GeneratorProposer`).

    Args:
        archs: The candidates. Entries with the same ``base.key`` are kept once (first one
            wins, with a warning).
        base: The space they belong to. Default: a :class:`~agnet_bo.spaces.DAGSpace` over the
            operations and node counts found in the list (with their shared adjacency as a
            fixed adjacency when they all have the same one).
        name: A name used in messages.

    Raises:
        InputError: If ``archs`` is empty or holds something that is not an Architecture.
        InvalidArchitectureError: If an architecture is not a member of ``base``.

    Example:
        >>> from agnet_bo.spaces import DAGSpace
        >>> chain = DAGSpace.chain(["conv3x3", "conv1x1", "skip"], num_layers=3)
        >>> zoo = CandidateSpace(chain.sample(5, seed=0), base=chain, name="zoo")
        >>> zoo.size, zoo.is_valid(zoo.members()[0])
        (5, True)
    """

    def __init__(self, archs: Iterable[Architecture], base: SearchSpace | None = None, name: str = "candidates") -> None:
        if isinstance(archs, (str, bytes, Architecture)) or not isinstance(archs, Iterable):
            raise InputError(f"`archs` must be a list of agnet_bo.Architecture, got {type(archs).__name__} {archs!r}.")
        items = list(archs)
        if not items:
            raise InputError("`archs` is empty; a CandidateSpace needs at least one architecture.")
        for i, a in enumerate(items):
            if not isinstance(a, Architecture):
                raise InputError(f"`archs[{i}]` must be an agnet_bo.Architecture, got {type(a).__name__} {a!r}.")
        if base is None:
            base = _infer_base(items)
        elif not isinstance(base, SearchSpace):
            raise InputError(f"`base` must be an agnet_bo.spaces.SearchSpace or None, got {type(base).__name__} {base!r}.")
        members: dict[str, Architecture] = {}
        duplicates = 0
        for i, a in enumerate(items):
            try:
                base.validate(a)
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(f"`archs[{i}]` is not a member of {base.name}: {exc}") from exc
            a = base.simplify(a)
            key = base.key(a)
            if key in members:
                duplicates += 1
            else:
                members[key] = a
        if duplicates:
            warnings.warn(
                f"{duplicates} of the {len(items)} candidates repeat an earlier one (the same network in {base.name}); "
                f"each is kept once, {len(members)} remain.",
                UserWarning,
                stacklevel=2,
            )
        self._base = base
        self._members = list(members.values())
        self._index = {k: i for i, k in enumerate(members)}
        self.name = name

    # -- the list -----------------------------------------------------------------------------
    @property
    def base(self) -> SearchSpace:
        """The space the candidates belong to."""
        return self._base

    def to_config(self) -> dict[str, Any] | None:
        """``{"name", "base", "archs"}`` (the base described by its own config), or ``None``
        when the base cannot describe itself."""
        from agnet_bo.spaces.base import space_to_dict

        base = space_to_dict(self.base)
        if base.get("custom") or base.get("has_constraint") or base.get("has_sampler"):
            return None
        return {"name": self.name, "base": base, "archs": [a.to_dict() for a in self.members()]}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CandidateSpace:
        """The space of :meth:`to_config`."""
        from agnet_bo.spaces.base import space_from_dict

        return cls(
            [Architecture.from_dict(a) for a in config["archs"]], base=space_from_dict(dict(config["base"])),
            name=config.get("name", "candidates"),
        )

    @property
    def base_space(self) -> SearchSpace:
        return self._base.base_space

    @property
    def size(self) -> int:
        return len(self._members)

    def members(self) -> list[Architecture]:
        """The candidates, one per key, in the order given."""
        return list(self._members)

    def keyed_members(self) -> list[tuple[str, Architecture]]:
        return list(zip(self._index, self._members, strict=True))

    def index(self, arch: Architecture) -> int:
        """The position of ``arch`` (or of the same network) in :meth:`members`.

        Raises:
            InvalidArchitectureError: If it is not a candidate.
        """
        self.validate(arch)
        return self._index[self._base.key(arch)]

    def validate(self, arch: Architecture) -> None:
        self._base.validate(arch)
        if self._base.key(arch) not in self._index:
            raise InvalidArchitectureError(
                f"{arch!r} is a member of {self._base.name} but not one of the {len(self._members)} candidates of {self.name}."
            )

    def sample(self, n: int, seed: SeedLike = None) -> list[Architecture]:
        """``n`` distinct candidates drawn uniformly without replacement."""
        n = self._check_count(n, self.size)
        idx = make_rng(seed).choice(len(self._members), size=n, replace=False)
        return [self._members[int(i)] for i in idx]

    # -- structure, identity and encodings: those of the base space --------------------------
    @property
    def node_types(self) -> tuple[str, ...]:
        return self._base.node_types

    @property
    def max_nodes(self) -> int:
        return self._base.max_nodes

    @property
    def min_nodes(self) -> int:
        return self._base.min_nodes

    @property
    def fixed_adjacency(self) -> np.ndarray | None:
        return self._base.fixed_adjacency

    @property
    def max_edges(self) -> int | None:
        return self._base.max_edges

    def node_type_mask(self) -> np.ndarray:
        return self._base.node_type_mask()

    def edge_mask(self) -> np.ndarray:
        return self._base.edge_mask()

    def allowed_sources(self, t: int, op: str, ops: Sequence[str], adjacency: np.ndarray) -> np.ndarray:
        return self._base.allowed_sources(t, op, ops, adjacency)

    def in_degree_bounds(self, t: int, op: str) -> tuple[int, int]:
        return self._base.in_degree_bounds(t, op)

    def simplify(self, arch: Architecture) -> Architecture:
        return self._base.simplify(arch)

    def canonical(self, arch: Architecture) -> Architecture:
        return self._base.canonical(arch)

    def key(self, arch: Architecture) -> str:
        return self._base.key(arch)

    @property
    def encoding_dim(self) -> int:
        return self._base.encoding_dim

    def encode_one(self, arch: Architecture) -> np.ndarray:
        return self._base.encode_one(arch)

    def encode(self, archs: Architecture | Sequence[Architecture], dtype: Any = None) -> torch.Tensor:
        return self._base.encode(archs, dtype=dtype)

    def to_graph(self, arch: Architecture) -> Data:
        return self._base.to_graph(arch)

    def sample_description(self) -> Any:
        """The base space's description and the members' keys, or ``None`` when the base has no
        description (or for a subclass)."""
        base = self._base.sample_description()
        if type(self) is not CandidateSpace or base is None:
            return None
        return {"base": base, "candidates": sorted(k for k, _ in self.keyed_members())}

    # -- networks and generator: those of the base space --------------------------------------
    def build_network(self, arch: Architecture, **options: Any) -> nn.Module:
        """The base space's network of ``arch`` (:meth:`SearchSpace.build_network` of :attr:`base`)."""
        return self._base.build_network(arch, **options)

    def default_network_options(self) -> dict[str, Any]:
        """``{}``: no small defaults of its own. Pass the base network's options (in a
        :class:`~agnet_bo.benchmarks.TrainingBenchmark`, ``network=space.base.default_network_options()``
        gives the base space's small network)."""
        return {}

    def check_network_options(self, options: Mapping[str, Any]) -> None:
        """What the base space requires (:meth:`SearchSpace.check_network_options` of :attr:`base`)."""
        self._base.check_network_options(options)

    @property
    def pretrained_generator_name(self) -> str | None:
        return self._base.pretrained_generator_name

    @property
    def paper_generator_epochs(self) -> int:
        return self._base.paper_generator_epochs

    def __repr__(self) -> str:
        return f"CandidateSpace({len(self._members)} architectures of {self._base!r}, name={self.name!r})"


def _infer_base(archs: Sequence[Architecture]) -> SearchSpace:
    from agnet_bo.spaces.dag import DAGSpace

    ops: dict[str, None] = {}
    for a in archs:
        if a.ops[0] != INPUT or a.ops[-1] != OUTPUT:
            raise InvalidArchitectureError(
                f"Without `base`, candidates must start with {INPUT!r} and end with {OUTPUT!r}; got {a!r}. "
                "Pass the space they belong to as `base`."
            )
        ops.update(dict.fromkeys(a.ops[1:-1]))
    if not ops:
        raise InputError("The candidates have no hidden nodes to tell operations from; pass `base`.")
    sizes = [a.num_nodes for a in archs]
    adj0 = archs[0].adjacency
    if min(sizes) == max(sizes) and all(np.array_equal(a.adjacency, adj0) for a in archs):
        try:
            return DAGSpace(list(ops), num_nodes=sizes[0], fixed_adjacency=adj0, name="candidates")
        except InputError:
            pass  # e.g. a node off every input-output path: fall back to free edges
    return DAGSpace(list(ops), num_nodes=(min(sizes), max(sizes)), name="candidates")
