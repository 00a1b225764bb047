"""One entry point: :func:`build_network` turns an architecture of a search space into a ``torch.nn.Module``."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.spaces.base import SearchSpace

__all__ = ["build_network"]


def build_network(space: SearchSpace, arch: Architecture, *, seed: int | None = None, **options: Any) -> nn.Module:
    r"""A runnable ``torch.nn.Module`` for an architecture of a search space.

    Validates ``arch`` and asks the space for its network
    (:meth:`SearchSpace.build_network <agnet_bo.spaces.SearchSpace.build_network>`, which a
    space of your own may override). The spaces agnet-bo ships build:

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
    :class:`CandidateSpace`         the network of its base space
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
            or the space has no network (it does not override ``build_network``).
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
    return space.build_network(arch, **options)
