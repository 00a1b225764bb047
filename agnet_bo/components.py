"""Components as saved data: a built-in surrogate, proposer or acquisition described by JSON
(``{"type": name, "params": {...}}``) and rebuilt from it.

A saved search holds these descriptions, so :meth:`Optimizer.load <agnet_bo.Optimizer.load>`
rebuilds the same components without replaying any default. A component of a class agnet-bo
does not ship is described by its class name only and must be passed again on load: a state
file never names code to import.
"""

from __future__ import annotations

from typing import Any

from agnet_bo.acquisition import ACQUISITION_CLASSES, Acquisition
from agnet_bo.exceptions import StateFileError
from agnet_bo.generator import Generator, GeneratorConfig
from agnet_bo.proposers import EvolutionProposer, GeneratorProposer, MutationProposer, Proposer, RandomProposer
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates import EnsembleSurrogate, GNNSurrogate, GPSurrogate, JointMLPSurrogate, MLPSurrogate, Surrogate

__all__ = ["describe", "surrogate_from_config", "proposer_from_config", "acquisition_from_config"]

_SURROGATES: dict[str, type[Surrogate]] = {"gp": GPSurrogate, "gnn": GNNSurrogate, "mlp": MLPSurrogate}
_PROPOSERS: dict[str, type[Proposer]] = {
    "agnet": GeneratorProposer, "random": RandomProposer, "mutation": MutationProposer, "evolution": EvolutionProposer,
}


def _name_of(obj: Any, table: dict[str, type]) -> str | None:
    for name, cls in table.items():
        if type(obj) is cls:
            return name
    return None


def describe(component: Any) -> dict[str, Any] | None:
    """The JSON description of a component (``None`` for no component)."""
    if component is None:
        return None
    if isinstance(component, Surrogate):
        if type(component) is EnsembleSurrogate:
            members = [describe(s) for s in component.surrogates]
            if all(m is not None and m.get("type") in _SURROGATES for m in members):
                return {"type": "ensemble", "params": {"members": members, "num_threads": component.num_threads}}
        elif type(component) is JointMLPSurrogate:
            return {"type": "joint-mlp", "params": {}}
        name = _name_of(component, _SURROGATES)
    elif isinstance(component, Proposer):
        name = _name_of(component, _PROPOSERS)
    elif isinstance(component, Acquisition):
        name = _name_of(component, ACQUISITION_CLASSES)
    else:
        name = None
    if name is None:
        return {"type": None, "class": f"{type(component).__module__}.{type(component).__qualname__}"}
    return {"type": name, "params": component.get_params()}


def _custom(what: str, cfg: dict[str, Any]) -> StateFileError:
    return StateFileError(
        f"The search used a {what} of your own class ({cfg.get('class')}); pass it again: Optimizer.load(path, {what}=...)."
    )


def surrogate_from_config(cfg: dict[str, Any], space: SearchSpace, proposer: Proposer | None) -> Surrogate:
    """Rebuild a surrogate from :func:`describe` (the joint MLP needs its proposer's generator)."""
    kind = cfg.get("type")
    params = dict(cfg.get("params") or {})
    if kind in _SURROGATES:
        return _SURROGATES[kind](space, **params)
    if kind == "ensemble":
        members = [surrogate_from_config(m, space, proposer) for m in params["members"]]
        return EnsembleSurrogate(members, num_threads=params.get("num_threads", 1))
    if kind == "joint-mlp":
        generator = getattr(proposer, "generator", None)
        if generator is None:
            raise StateFileError("The search's JointMLPSurrogate needs its GeneratorProposer, which the file does not describe.")
        return JointMLPSurrogate(generator)
    raise _custom("surrogate", cfg)


def proposer_from_config(cfg: dict[str, Any], space: SearchSpace) -> Proposer:
    """Rebuild a proposer from :func:`describe`; a generator proposer's generator is untrained
    (built inside :func:`agnet_bo.proposers.restoring`) until its state is loaded."""
    kind = cfg.get("type")
    params = dict(cfg.get("params") or {})
    if kind == "agnet":
        gen_cfg = params.pop("generator_config", None)
        if gen_cfg is not None:
            params["generator"] = Generator(space, GeneratorConfig.from_dict(gen_cfg), seed=params.get("seed", 0))
        return GeneratorProposer(space, **params)
    if kind in _PROPOSERS:
        return _PROPOSERS[kind](space, **params)
    raise _custom("proposer", cfg)


def acquisition_from_config(cfg: dict[str, Any]) -> Acquisition:
    """Rebuild a built-in acquisition from :func:`describe`."""
    kind = cfg.get("type")
    if kind in ACQUISITION_CLASSES:
        return ACQUISITION_CLASSES[kind](**dict(cfg.get("params") or {}))
    raise _custom("acquisition", cfg)
