"""One entry point: :func:`build_network` turns an architecture of a search space into a ``torch.nn.Module``."""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.networks.dag import DAGNetwork, check_factories
from agnet_bo.networks.darts import DARTSNetwork
from agnet_bo.networks.nb101 import NB101Network
from agnet_bo.networks.nb201 import NB201Network
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.spaces.dag import DAGSpace
from agnet_bo.spaces.darts import DARTSSpace
from agnet_bo.spaces.nb101 import NB101Space
from agnet_bo.spaces.nb201 import NB201Space

__all__ = ["build_network"]


def _options(cls: type) -> list[str]:
    params = inspect.signature(cls).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


def _call(cls: type[nn.Module], space: SearchSpace, arch: Architecture, options: dict[str, Any], *args: Any) -> nn.Module:
    """``cls(arch, *args, **options)`` after checking ``options`` against ``cls``'s keyword-only parameters."""
    valid = _options(cls)
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise InputError(
            f"Unknown option(s) {unknown} for a {type(space).__name__} network ({cls.__name__}). "
            f"Expected keyword options among {valid}."
        )
    return cls(arch, *args, **options)


def build_network(space: SearchSpace, arch: Architecture, *, seed: int | None = None, **options: Any) -> nn.Module:
    r"""A runnable ``torch.nn.Module`` for an architecture of a search space.

    Dispatches on the type of ``space``:

    ==============================  =========================================================
    space                           network and its options (defaults = the benchmark's)
    ==============================  =========================================================
    :class:`NB201Space`             :class:`NB201Network`: ``channels=16``,
                                    ``cells_per_stage=5``, ``num_classes=10``, ``in_channels=3``
    :class:`NB101Space`             :class:`NB101Network`: ``stem_channels=128``,
                                    ``num_stacks=3``, ``cells_per_stack=3``, ``num_classes=10``,
                                    ``in_channels=3``
    :class:`DARTSSpace`             :class:`DARTSNetwork`: ``channels=36``, ``layers=20``,
                                    ``num_classes=10``, ``in_channels=3``, ``stem_multiplier=3``,
                                    ``drop_path_prob=0.0``
    any other :class:`DAGSpace`     :class:`DAGNetwork`: ``ops`` (required: the per-operation
                                    module factories), ``channels=16``, ``num_classes=10``,
                                    ``in_channels=3``, ``num_cells=1``, ``stem``, ``head``
    ==============================  =========================================================

    For a ``DAGSpace``, ``ops`` must cover every operation of the space (checked up front, so a
    missing factory shows at the first build, not when a search first samples that operation).

    Args:
        space: The search space ``arch`` belongs to.
        arch: The architecture; it is validated against ``space``.
        seed: If given, the weights are initialised from a torch generator seeded with it, so the
            same seed gives the same initial weights; torch's global random state is left as it
            was. ``None``: torch's global generator, as for any ``nn.Module``.
        **options: Keyword options of the network class (see the table).

    Returns:
        The network, in training mode, on the default device; for the image networks it maps a
        ``b x in_channels x H x W`` batch to ``b x num_classes`` logits.

    Raises:
        InvalidArchitectureError: If ``arch`` is not a member of ``space``.
        InputError: If an option is unknown or has a bad value, ``ops`` is missing for a ``DAGSpace``,
            or there is no builder for the type of ``space``.
        UnknownNameError: If ``ops`` lacks a factory for an operation of the space.

    Example:
        >>> import torch
        >>> from agnet_bo.spaces import NB201Space
        >>> space = NB201Space()
        >>> net = build_network(space, space.sample(1, seed=0)[0], channels=4, cells_per_stage=1)
        >>> net(torch.randn(2, 3, 8, 8)).shape
        torch.Size([2, 10])
    """
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InputError(f"`seed` must be a non-negative int or None, got {seed!r}.")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return build_network(space, arch, **options)
    if not isinstance(space, SearchSpace):
        raise InputError(
            f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__} {space!r}. "
            "Call build_network(space, arch, **options)."
        )
    space.validate(arch)
    if isinstance(space, NB201Space):
        return _call(NB201Network, space, arch, options)
    if isinstance(space, NB101Space):
        return _call(NB101Network, space, arch, options)
    if isinstance(space, DARTSSpace):
        return _call(DARTSNetwork, space, arch, options)
    if isinstance(space, DAGSpace):
        if "ops" not in options:
            raise InputError(
                f"A network for a DAGSpace needs module factories for its operations {list(space.ops)}: pass "
                "ops={op_name: factory(channels) -> nn.Module, ...} (or a callable(op_name, channels)), e.g. "
                "build_network(space, arch, ops={'conv3x3': lambda c: torch.nn.Conv2d(c, c, 3, padding=1), ...}). "
                "agnet_bo.networks.NB201_OP_FACTORIES, NB101_OP_FACTORIES and DARTS_OP_FACTORIES are ready-made."
            )
        check_factories(options["ops"], space.ops, where=f"{space.name}")
        arch = space.simplify(arch)
        ops = options.pop("ops")
        return _call(DAGNetwork, space, arch, options, ops)
    raise InputError(
        f"build_network has no builder for {type(space).__name__}; it knows NB201Space, NB101Space, DARTSSpace and "
        "DAGSpace (with ops=...). For another space, build the module yourself, e.g. from "
        "agnet_bo.networks.DAGCell(arch, ops, channels), which runs any node-labelled DAG."
    )
