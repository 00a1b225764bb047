"""Build surrogates by name: ``make_surrogate("gp", space, kernel="wl", seed=0)``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from agnet_bo._validation import check_seed
from agnet_bo.exceptions import InputError, unknown_name
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates.base import Surrogate
from agnet_bo.surrogates.ensemble import EnsembleSurrogate

__all__ = ["SURROGATES", "DEFAULT_ENSEMBLE", "make_surrogate"]

SURROGATES: tuple[str, ...] = tuple(sorted(Surrogate.registered(), key=lambda n: Surrogate.registered()[n] is EnsembleSurrogate))
"""The names :func:`make_surrogate` knows: the surrogates that name themselves (``config_name``)
and need nothing but the space, as registered when ``agnet_bo.surrogates`` is imported."""

MemberSpec = str | tuple[str, Mapping[str, Any]]

DEFAULT_ENSEMBLE: tuple[MemberSpec, ...] = (("gp", {"kernel": "wl"}), ("gnn", {}))
"""Members of ``make_surrogate("ensemble", ...)`` unless ``members=`` is given: the WL-kernel GP and
the GIN deep ensemble. Of the combinations measured on NAS-Bench-201 it ranked best at every
training size (Kendall tau 0.70 at n = 32, 0.78 at n = 128) with 74-78 % of held-out points within
one standard deviation; it costs about a GNN fit (bench/notes/surrogates.md, "Conclusions"). The cheaper pair
``[("gp", {"kernel": "wl"}), ("gp", {"kernel": "hamming"})]`` ranks like the WL GP alone."""



def make_surrogate(name: str, space: SearchSpace, **kwargs: Any) -> Surrogate:
    """Build a surrogate by name.

    Args:
        name: ``"gnn"`` (:class:`GNNSurrogate`), ``"gp"`` (:class:`GPSurrogate`), ``"mlp"``
            (:class:`MLPSurrogate`, BANANAS' path-encoding MLP ensemble) or ``"ensemble"``
            (an :class:`EnsembleSurrogate`).
        space: The search space.
        kwargs: Constructor arguments of the chosen class. For ``"ensemble"``: ``members`` (a
            sequence of names, or ``(name, kwargs)`` pairs; default :data:`DEFAULT_ENSEMBLE`),
            ``target_transform`` (shared by all members, default ``"copula"``), ``seed`` (member
            seeds are spawned from it) and ``num_threads``.

    Returns:
        The (unfitted) surrogate.

    Raises:
        UnknownNameError: If ``name`` (or a member name) is not one of :data:`SURROGATES`.
        InputError: If a keyword argument is not accepted by the chosen class.

    Example:
        >>> from agnet_bo.spaces import NB201Space
        >>> make_surrogate("gp", NB201Space(), kernel="rbf", seed=0)  # doctest: +NORMALIZE_WHITESPACE
        GPSurrogate(NB201Space(), kernel='rbf', wl_iterations=2, zero_ops=['none'], spelled=False,
                    target_transform='copula', seed=0, num_threads=1)
    """
    if not isinstance(name, str) or name not in SURROGATES:
        raise unknown_name("surrogate", name, SURROGATES, "Or pass your own Surrogate instance.")
    if name != "ensemble":
        return _build(name, space, kwargs)
    members = kwargs.pop("members", DEFAULT_ENSEMBLE)
    seed = kwargs.pop("seed", None)
    target_transform = kwargs.pop("target_transform", "copula")
    num_threads = kwargs.pop("num_threads", 1)
    if kwargs:
        raise InputError(
            f"make_surrogate('ensemble', ...) got unexpected argument(s) {sorted(kwargs)}; it accepts "
            "members, target_transform, seed and num_threads. Put member arguments in "
            "members=[(name, {...}), ...]."
        )
    if isinstance(members, str) or not isinstance(members, Sequence) or not members:
        raise InputError(f"`members` must be a non-empty sequence of names or (name, kwargs) pairs, got {members!r}.")
    seed = check_seed(seed, allow_none=True)
    seeds: list[int | None] = (
        [None] * len(members)
        if seed is None
        else [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(len(members))]
    )
    built = []
    for spec, member_seed in zip(members, seeds, strict=False):
        if isinstance(spec, str):
            member_name, member_kwargs = spec, {}
        elif isinstance(spec, (tuple, list)) and len(spec) == 2 and isinstance(spec[1], Mapping):
            member_name, member_kwargs = spec[0], dict(spec[1])
        else:
            raise InputError(f"An ensemble member must be a name or a (name, kwargs) pair, got {spec!r}.")
        members_known = [n for n in Surrogate.registered() if n != "ensemble"]
        if member_name not in members_known:
            raise unknown_name("ensemble member", member_name, members_known)
        for key in ("seed", "target_transform", "num_threads"):
            if key in member_kwargs:
                raise InputError(f"Set `{key}` on the ensemble, not on member {spec!r}: members share it.")
        member_kwargs.update(seed=member_seed, target_transform=target_transform)
        built.append(_build(member_name, space, member_kwargs))
    return EnsembleSurrogate(built, num_threads=num_threads)


def _build(name: str, space: SearchSpace, kwargs: dict[str, Any]) -> Surrogate:
    cls = Surrogate.registered()[name]
    accepted = [p for p in inspect.signature(cls).parameters if p != "space"]
    unexpected = sorted(set(kwargs) - set(accepted))
    if unexpected:
        raise InputError(
            f"{cls.__name__} does not accept argument(s) {unexpected}; it accepts {accepted}."
        )
    return cls(space, **kwargs)
