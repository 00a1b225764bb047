"""The :class:`SearchSpace` base class."""

from __future__ import annotations

import importlib
import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from agnet_bo import _graph
from agnet_bo._validation import check_int
from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, StateFileError

if TYPE_CHECKING:  # torch and torch_geometric are imported lazily to keep `import agnet_bo` fast
    import torch
    from torch import nn
    from torch_geometric.data import Data

__all__ = ["SearchSpace", "SeedLike", "make_rng", "SPACE_CLASSES", "space_to_dict", "space_from_dict"]

SeedLike = Union[int, np.random.Generator, None]  # noqa: UP007  (a runtime alias: `|` needs 3.10 objects)
"""A seed: an ``int``, a ``numpy.random.Generator`` (used as is), or ``None`` for fresh entropy."""


def make_rng(seed: SeedLike) -> np.random.Generator:
    """A ``numpy`` generator from a :data:`SeedLike`; never touches global random state.

    Raises:
        InputError: If ``seed`` is not an int, a Generator or None.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)):
        if seed is not None and int(seed) < 0:
            raise InputError(f"`seed` must be a non-negative integer, got {seed}.")
        return np.random.default_rng(seed)
    raise InputError(
        f"`seed` must be an int, a numpy.random.Generator or None, got {type(seed).__name__} {seed!r}."
    )


def serialize(arch: Architecture) -> str:
    """A compact, exact string form of an architecture: ``"op,op,...|<hex of upper-triangle bits>"``."""
    n = arch.num_nodes
    bits = arch.adjacency[np.triu_indices(n, k=1)]
    return ",".join(arch.ops) + "|" + np.packbits(bits).tobytes().hex()


SPACE_CLASSES: dict[str, type[SearchSpace]] = {}
"""The space classes agnet-bo ships, by class name: the only ones a saved description rebuilds
(each registers itself when defined in ``agnet_bo.spaces``)."""


class SearchSpace(ABC):
    r"""A set of architectures (node-labelled DAGs) that a search runs over.

    Subclasses implement :meth:`validate` and :meth:`sample` and describe their structure through
    :attr:`node_types`, :attr:`max_nodes` (and optionally :attr:`min_nodes`,
    :attr:`fixed_adjacency`, :attr:`max_edges`, :meth:`node_type_mask`, :meth:`edge_mask`): the
    graph generator reads these to build only valid graphs. Everything else has a default:

    * :meth:`canonical` / :meth:`key`: an exact canonical form of the labelled DAG, so equal keys
      mean isomorphic graphs (the same network);
    * :meth:`encode`: one-hot operations and adjacency of the canonical form, padded to
      :attr:`max_nodes` (``n x d``);
    * :meth:`to_graph`: a ``torch_geometric.data.Data``.

    The rest of the library asks a space about itself through hooks with defaults, which a
    space of your own may override: :meth:`build_network`, :meth:`default_network_options` and
    :meth:`check_network_options` (its networks), :attr:`pretrained_generator_name` (a
    generator state shipped for it), :meth:`sample_description` (what keys a cached generator)
    and :attr:`paper_generator_epochs` (AG-Net's published protocol on it).

    Shapes use ``n`` for a number of architectures, ``d`` for :attr:`encoding_dim`, ``N`` for a
    number of nodes and ``A`` for ``len(node_types)``.

    Run :class:`agnet_bo.testing.SearchSpaceTests` (or :func:`agnet_bo.testing.check_search_space`)
    on a new space to check that it honours this contract.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("agnet_bo.spaces."):
            SPACE_CLASSES[cls.__name__] = cls

    name: str = "search-space"

    # -- structure (what the generator needs) ------------------------------------------------
    @property
    @abstractmethod
    def node_types(self) -> tuple[str, ...]:
        """All node labels of the space, ``"input"`` first and ``"output"`` last."""

    @property
    @abstractmethod
    def max_nodes(self) -> int:
        """The largest number of nodes of an architecture, input and output included."""

    @property
    def min_nodes(self) -> int:
        """The smallest number of nodes of an architecture (default: :attr:`max_nodes`)."""
        return self.max_nodes

    @property
    def fixed_adjacency(self) -> np.ndarray | None:
        """The ``N x N`` adjacency shared by every architecture, or ``None`` if edges vary."""
        return None

    @property
    def max_edges(self) -> int | None:
        """The largest number of edges, or ``None`` for no limit."""
        return None

    @property
    def size(self) -> int | None:
        """The number of distinct architectures (distinct keys), or ``None`` if not known."""
        return None

    def to_config(self) -> dict[str, Any] | None:
        """The arguments that rebuild this space with :meth:`from_config`, as JSON data, or
        ``None`` if it cannot describe itself (the default: a saved search then needs the space
        passed again on load). Spaces without arguments return ``{}``."""
        return None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SearchSpace:
        """The space of :meth:`to_config` (default: the class called with ``config`` as keyword
        arguments)."""
        return cls(**dict(config))

    @property
    def base_space(self) -> SearchSpace:
        """The space whose structure this one has: itself, or for a
        :class:`~agnet_bo.spaces.CandidateSpace` the space its list comes from. A generator
        pretrained for the base space serves this one too."""
        return self

    def members(self) -> list[Architecture] | None:
        """Every architecture of the space, one per key, or ``None`` if the space cannot list them.

        A finite space that lists its members lets a search run to exhaustion: once fewer
        architectures are left than a pool holds, the optimizer scores all of them, and the
        generator's proposals are drawn from the members left (see
        :class:`~agnet_bo.proposers.GeneratorProposer`). The default returns ``None``; spaces that
        know a small :attr:`size` override it (:class:`~agnet_bo.spaces.DAGSpace` lists small
        spaces, :class:`~agnet_bo.spaces.CandidateSpace` its list). The list is the same on every
        call.
        """
        return None

    def keyed_members(self) -> list[tuple[str, Architecture]] | None:
        """``(key, architecture)`` of every member (:meth:`members`), or ``None``; computed once
        per space object, since searches look the members up by key round after round."""
        cached = self.__dict__.get("_keyed_members", False)
        if cached is False:
            members = self.members()
            cached = None if members is None else [(self.key(a), a) for a in members]
            self.__dict__["_keyed_members"] = cached
        return None if cached is None else list(cached)

    def node_type_mask(self) -> np.ndarray:
        """Which node types may appear at each position of a generated graph.

        Returns:
            A ``max_nodes x A`` boolean array; row ``t`` allows the types of node ``t``. The
            default allows ``"input"`` only at 0, ``"output"`` from ``min_nodes - 1`` on and any
            other type elsewhere.
        """
        types = self.node_types
        n = self.max_nodes
        mask = np.zeros((n, len(types)), dtype=bool)
        i_in, i_out = types.index(INPUT), types.index(OUTPUT)
        mask[0, i_in] = True
        mask[1:, :] = True
        mask[1:, i_in] = False
        mask[:, i_out] = False
        mask[max(self.min_nodes - 1, 1) :, i_out] = True
        mask[n - 1, :] = False
        mask[n - 1, i_out] = True
        return mask

    def edge_mask(self) -> np.ndarray:
        """Which edges ``u -> v`` may exist (a ``max_nodes x max_nodes`` boolean array).

        Defaults to :attr:`fixed_adjacency` if set, else the strict upper triangle.
        """
        fixed = self.fixed_adjacency
        if fixed is not None:
            return np.asarray(fixed, dtype=bool)
        return np.triu(np.ones((self.max_nodes, self.max_nodes), dtype=bool), k=1)

    def allowed_sources(self, t: int, op: str, ops: Sequence[str], adjacency: np.ndarray) -> np.ndarray:
        """Which earlier nodes may feed node ``t`` of a graph being generated node by node.

        Args:
            t: Index of the new node.
            op: Its (already chosen) node type.
            ops: The types of nodes ``0..t`` (``ops[t] == op``).
            adjacency: The ``t x t`` adjacency among nodes ``0..t-1``.

        Returns:
            A boolean vector of length ``t``. The default is column ``t`` of :meth:`edge_mask`;
            spaces whose rules depend on earlier choices override it.
        """
        return np.asarray(self.edge_mask()[:t, t], dtype=bool)

    def in_degree_bounds(self, t: int, op: str) -> tuple[int, int]:
        """The smallest and largest number of incoming edges node ``t`` with type ``op`` may have.

        Both bounds are capped at the number of allowed sources (:meth:`allowed_sources`): the
        generator samples exactly one source when both bounds are 1 and takes every allowed
        source when the lower bound is at least their number. The default is ``(1, t)`` (a node
        without inputs would be dead), or the in-degree of :attr:`fixed_adjacency`.
        """
        fixed = self.fixed_adjacency
        if fixed is not None:
            d = int(np.asarray(fixed)[:, t].sum())
            return d, d
        return (1, t) if t > 0 else (0, 0)

    def simplify(self, arch: Architecture) -> Architecture:
        """The preferred representation of ``arch`` (same key), e.g. with dead nodes removed.

        Generators return simplified architectures. The default returns ``arch`` unchanged.
        """
        return arch

    # -- membership ---------------------------------------------------------------------------
    @abstractmethod
    def validate(self, arch: Architecture) -> None:
        """Raise :class:`~agnet_bo.exceptions.InvalidArchitectureError` saying why ``arch`` is not in the space."""

    def is_valid(self, arch: Architecture) -> bool:
        """Whether ``arch`` is a member of the space (see :meth:`validate` for the reason if not)."""
        try:
            self.validate(arch)
        except InvalidArchitectureError:
            return False
        return True

    @abstractmethod
    def sample(self, n: int, seed: SeedLike = None) -> list[Architecture]:
        """Draw ``n`` valid architectures with distinct keys.

        Args:
            n: How many.
            seed: Seed or generator; the same seed gives the same list.

        Raises:
            InputError: If ``n`` is negative or larger than the space.
            SamplingError: If ``n`` distinct valid architectures could not be found.
        """

    # -- identity -----------------------------------------------------------------------------
    def canonical(self, arch: Architecture) -> Architecture:
        """The canonical representative of ``arch``: isomorphic architectures map to the same one.

        The default reorders the nodes by an exact canonical labelling (topological order kept).
        """
        self._check_arch(arch)
        perm = _graph.canonical_order(arch.ops, arch.adjacency)
        ops, adj = _graph.permute(arch.ops, arch.adjacency, perm)
        return Architecture(ops, adj)

    def key(self, arch: Architecture) -> str:
        """A string identity: equal for two architectures exactly when they are the same network."""
        return serialize(self.canonical(arch))

    # -- encodings ----------------------------------------------------------------------------
    @property
    def encoding_dim(self) -> int:
        """``d``, the length of one row of :meth:`encode`."""
        n, a = self.max_nodes, len(self.node_types)
        return n * a + n * (n - 1) // 2

    def encode_one(self, arch: Architecture) -> np.ndarray:
        """The fixed-length encoding of one architecture (a ``d``-vector of ``float64``).

        The default: canonical form padded to :attr:`max_nodes` (output in the last slot), one-hot
        node types (``max_nodes x A``, row-major) followed by the strict upper triangle of the
        padded adjacency.
        """
        can = self.canonical(arch)
        n_max, types = self.max_nodes, self.node_types
        m = can.num_nodes
        slots = list(range(m - 1)) + [n_max - 1]
        onehot = np.zeros((n_max, len(types)))
        for slot, op in zip(slots, can.ops, strict=False):
            onehot[slot, self._type_index(op)] = 1.0
        adj = np.zeros((n_max, n_max))
        adj[np.ix_(slots, slots)] = can.adjacency
        return np.concatenate([onehot.ravel(), adj[np.triu_indices(n_max, k=1)]])

    def encode(self, archs: Architecture | Sequence[Architecture], dtype: Any = None) -> torch.Tensor:
        """Fixed-length encodings of architectures.

        Args:
            archs: One architecture or a sequence of ``n``.
            dtype: A torch dtype (default ``torch.float64``, what BoTorch expects).

        Returns:
            An ``n x d`` tensor (``1 x d`` for a single architecture); equal keys give equal rows.
        """
        import torch

        if isinstance(archs, Architecture):
            archs = [archs]
        rows = [self.encode_one(self._check_arch(a)) for a in archs]
        data = np.stack(rows) if rows else np.zeros((0, self.encoding_dim))
        return torch.as_tensor(data, dtype=dtype or torch.float64)

    def to_graph(self, arch: Architecture) -> Data:
        """The architecture as a PyG graph.

        Returns:
            ``Data`` with ``x`` (``N x A`` one-hot node types, float32), ``edge_index``
            (``2 x E``, int64) and ``num_nodes``.
        """
        import torch
        from torch_geometric.data import Data

        self._check_arch(arch)
        idx = torch.tensor([self._type_index(op) for op in arch.ops])
        x = torch.nn.functional.one_hot(idx, num_classes=len(self.node_types)).to(torch.float32)
        edge_index = torch.as_tensor(np.argwhere(arch.adjacency).T.copy(), dtype=torch.long).reshape(2, -1)
        return Data(x=x, edge_index=edge_index, num_nodes=arch.num_nodes)

    # -- what the rest of the library asks a space -------------------------------------------
    def build_network(self, arch: Architecture, **options: Any) -> nn.Module:
        """A runnable ``torch.nn.Module`` for ``arch``, a member of this space.

        Call :func:`agnet_bo.networks.build_network` ``(space, arch, **options)``: it validates
        ``arch`` and can seed the weights, then calls this. Override it to give a space of your
        own its networks (with :meth:`default_network_options` for small ones, and
        :meth:`check_network_options` if some option is required); the built-in spaces return
        their published networks, a :class:`~agnet_bo.spaces.DAGSpace` a
        :class:`~agnet_bo.networks.DAGNetwork` and a :class:`~agnet_bo.spaces.CandidateSpace`
        its base space's network.

        Args:
            arch: A member of the space (already validated).
            **options: The network's keyword options (sizes, ``num_classes``, ...).

        Returns:
            The network, in training mode, on the default device.

        Raises:
            InputError: The default: there is no network for this space.
        """
        raise InputError(self._no_network())

    def default_network_options(self) -> dict[str, Any]:
        """Options of :meth:`build_network` for a small network of this space: what
        :class:`~agnet_bo.benchmarks.TrainingBenchmark` uses unless told otherwise, sized so that
        one training on MNIST-1D takes seconds on one core while the cell still matters.
        Default: ``{}`` (the network's own defaults)."""
        return {}

    def check_network_options(self, options: Mapping[str, Any]) -> None:
        """Raise :class:`~agnet_bo.exceptions.InputError` if :meth:`build_network` cannot build
        the networks of this space with ``options``; asked before any architecture is at hand
        (:class:`~agnet_bo.benchmarks.TrainingBenchmark` asks when it is built).

        The default accepts any options when the class overrides :meth:`build_network`, and
        raises what :meth:`build_network` would raise otherwise. Override it when an option is
        required (a :class:`~agnet_bo.spaces.DAGSpace` needs ``ops``).
        """
        if type(self).build_network is SearchSpace.build_network:
            raise InputError(self._no_network())

    def sample_description(self) -> Any:
        """JSON data that fixes what :meth:`sample` draws, or ``None`` (the default) when only the
        samples themselves can say (the space holds code: a constraint or sampler callable, or a
        subclass's own methods).

        :meth:`Generator.for_space <agnet_bo.generator.Generator.for_space>` keys its cache of
        pretrained generators by it (else by the keys of the pretraining samples). A
        :class:`~agnet_bo.spaces.DAGSpace` without callables answers its configuration, a
        :class:`~agnet_bo.spaces.CandidateSpace` its base's description and its members' keys.
        """
        return None

    @property
    def pretrained_generator_name(self) -> str | None:
        """The name of the generator state shipped with agnet-bo for this space, or ``None``
        (the default).

        :meth:`Generator.from_pretrained <agnet_bo.generator.Generator.from_pretrained>` reads
        ``agnet_bo/generator/pretrained/<name>-<mode>.pt`` (it must have been trained for this
        space's structure); without one, :meth:`Generator.for_space
        <agnet_bo.generator.Generator.for_space>` pretrains a generator on samples of the space
        and caches it. The NAS-Bench-201, NAS-Bench-101 and DARTS spaces answer ``"nb201"``,
        ``"nb101"`` and ``"darts"``; a :class:`~agnet_bo.spaces.CandidateSpace` answers with its
        base space's name.
        """
        return None

    @property
    def paper_generator_epochs(self) -> int:
        """The epochs for which AG-Net's published protocol (:func:`agnet_bo.presets.paper`)
        retrains the generator in every search round on this space: 30 (the default), 15 on
        NAS-Bench-101. A :class:`~agnet_bo.spaces.CandidateSpace` answers with its base space's."""
        return 30

    # -- helpers ------------------------------------------------------------------------------
    def _no_network(self) -> str:
        cls = type(self).__name__
        return (
            f"build_network has no builder for {cls}; it knows NB201Space, NB101Space, DARTSSpace and DAGSpace "
            f"(with ops=...). For another space, override {cls}.build_network(arch, **options), or build the module "
            "yourself, e.g. from agnet_bo.networks.DAGCell(arch, ops, channels), which runs any node-labelled DAG."
        )

    def _type_index(self, op: str) -> int:
        lookup = self.__dict__.get("_type_lookup")
        if lookup is None:
            lookup = {t: i for i, t in enumerate(self.node_types)}
            self.__dict__["_type_lookup"] = lookup
        try:
            return lookup[op]
        except KeyError:
            raise InvalidArchitectureError(
                f"Operation {op!r} is not a node type of {self.name}; expected one of {list(self.node_types)}."
            ) from None

    @staticmethod
    def _check_arch(arch: object) -> Architecture:
        if not isinstance(arch, Architecture):
            raise InputError(
                f"Expected an agnet_bo.Architecture, got {type(arch).__name__} {arch!r}. "
                "Build one with Architecture(ops, adjacency) or a space's from_* helpers."
            )
        return arch

    @staticmethod
    def _check_count(n: object, size: int | None = None) -> int:
        n = check_int("n", n, minimum=0)
        if size is not None and int(n) > size:
            raise InputError(f"Asked for {int(n)} distinct architectures, but the space has only {size}.")
        return int(n)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _networks() -> ModuleType:
    """:mod:`agnet_bo.networks`, imported when a space first builds a network (so torch loads only then).

    By name rather than by an import statement: the networks of the built-in spaces validate
    their cells with those spaces (``agnet_bo.networks.nb201`` imports ``NB201Space``), so the
    spaces reach the network classes at call time.
    """
    return importlib.import_module("agnet_bo.networks")


def _make_network(cls: type[nn.Module], space: SearchSpace, arch: Architecture, options: Mapping[str, Any], *args: Any) -> nn.Module:
    """``cls(arch, *args, **options)`` after checking ``options`` against ``cls``'s keyword-only
    parameters (for :meth:`SearchSpace.build_network` implementations).

    Raises:
        InputError: If an option is not a keyword-only parameter of ``cls``; the message names
            the valid ones.
    """
    params = inspect.signature(cls).parameters.values()
    valid = [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise InputError(
            f"Unknown option(s) {unknown} for a {type(space).__name__} network ({cls.__name__}). "
            f"Expected keyword options among {valid}."
        )
    return cls(arch, *args, **options)


def space_to_dict(space: SearchSpace) -> dict[str, Any]:
    """``{"class": ..., **space.to_config()}``, or ``{"class": ..., "custom": True}`` for a space
    that cannot describe itself (:meth:`SearchSpace.to_config` returns ``None``) or is not one of
    :data:`SPACE_CLASSES`."""
    name = type(space).__name__
    config = space.to_config() if SPACE_CLASSES.get(name) is type(space) else None
    if config is None:
        return {"class": name, "custom": True}
    return {"class": name, **config}


def space_from_dict(d: Mapping[str, Any]) -> SearchSpace:
    """The space of :func:`space_to_dict`. Only the classes agnet-bo ships are rebuilt: a state
    file never names code to import.

    Raises:
        StateFileError: If the space cannot be rebuilt (your own class, or a callable inside).
    """
    cls = SPACE_CLASSES.get(str(d.get("class")))
    config = {k: v for k, v in d.items() if k != "class"}
    if cls is not None and not d.get("custom") and not d.get("has_constraint") and not d.get("has_sampler"):
        return cls.from_config(config)
    what = " with a constraint callable" if d.get("has_constraint") else " with a sampler callable" if d.get("has_sampler") else ""
    raise StateFileError(
        f"The search space ({d.get('class')}{what}) cannot be rebuilt from the file; pass it again: "
        "Optimizer.load(path, space=...)."
    )
