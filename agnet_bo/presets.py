"""Presets: the only home of tuning policy.

A preset turns a search's description (space, objectives, constraints, seed) and whatever
components the user named or built into the components of a search. Names are resolved here, with
the settings that were measured for them; instances pass through untouched. The
:class:`~agnet_bo.Optimizer` asks :func:`agnet` (its default) or the preset it is given::

    Optimizer(space, objectives)                       # presets.agnet
    Optimizer(space, objectives, preset="bananas")     # presets.bananas
    Optimizer(space, objectives, acquisition=UCB(kappa=2.0))  # agnet, with your acquisition

Every preset has the signature of :class:`Preset` and returns a :class:`~agnet_bo.strategy.Strategy`; write your
own the same way and pass the function as ``preset=``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from agnet_bo._validation import check_int
from agnet_bo.acquisition import Acquisition, GreedyMean, ParEGO, make_acquisition
from agnet_bo.exceptions import InputError, unknown_name
from agnet_bo.objectives import Problem
from agnet_bo.proposers import Proposer
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.strategy import Strategy
from agnet_bo.surrogates import JointMLPSurrogate, Surrogate, make_surrogate

__all__ = [
    "Components",
    "build",
    "Preset",
    "PRESETS",
    "DEFAULT_POOL_SIZE",
    "DEFAULT_MAX_MODEL_TRIALS",
    "DEFAULT_KAPPA",
    "DEFAULT_ANCHOR_SHARE",
    "AGNET_RETRAIN_EPOCHS",
    "AGNET_LOCAL_FRACTION",
    "PROPOSERS",
    "default_n_initial",
    "make_proposer",
    "agnet",
    "paper",
    "agnet_mlp",
    "bananas",
    "evolution",
    "local_search",
    "random_search",
    "get_preset",
]

DEFAULT_POOL_SIZE = 300
"""Candidates scored per round by the default preset."""

DEFAULT_MAX_MODEL_TRIALS = 300
"""The most results a round's models train on (:attr:`Strategy.max_model_trials
<agnet_bo.strategy.Strategy.max_model_trials>`): past it the surrogate is fitted on a subset
(half the best results, half drawn at random from the rest) and the generator draws at most this
many per retraining epoch, so a round costs about the same at 10,000 results as at 500. Below it
every result is used, as before. Chosen by measurement (bench/topics/speed.md, "Thousands of told trials")."""

DEFAULT_KAPPA: tuple[float, ...] = (0.5, 2.0, 3.5)
"""UCB's exploration weights in the default preset, one per pick in turn: a greedy pick, a
balanced one and an exploratory one in every three (on NB201 it found the CIFAR-100 optimum
within 96 queries more often than a constant 2.0, bench/notes/search-quality.md, "Early rounds:
per-pick kappa and Thompson sampling"). Every ``"ucb"`` a preset
resolves gets it; :class:`~agnet_bo.acquisition.UCB` itself defaults to 2.0."""

DEFAULT_ANCHOR_SHARE = 0.25
"""The default preset's ParEGO ``anchor_share``: a quarter of the picks maximise one objective
alone (on NB201 accuracy vs latency it lowered the hypervolume shortfall on pixel3 and fpga,
bench/notes/multi-objective.md, "Accuracy vs latency with a quarter anchors"). :class:`~agnet_bo.acquisition.ParEGO` itself defaults to ``0``."""

AGNET_RETRAIN_EPOCHS = 10
"""Retraining epochs per round of the autoregressive generator when a preset builds the
``"agnet"`` proposer (:func:`make_proposer`; the generator's own default is the paper's 30).
Retrained for 30 epochs on the first 16-32 results with sharp rank weights, it memorises the best
few cells and its pools become their neighbourhoods: on NB201 tuning seeds 10-29 the optimum was
found at 96 queries in 45 % / 20 % of seeds (CIFAR-10 / CIFAR-100) with 30 epochs and 75 % / 60 %
with 10 (bench/notes/search-quality.md, "Early rounds: generator retraining epochs")."""

AGNET_LOCAL_FRACTION = 0.25
"""Share of single edits of the best architectures in each pool of the default preset's
``"agnet"`` proposer with a surrogate (``local_fraction`` of
:class:`~agnet_bo.proposers.GeneratorProposer`). On NB201 tuning seeds 30-59 the optimum was found
at 96 queries in 93 / 83 / 60 % of seeds (CIFAR-10 / CIFAR-100 / ImageNet16-120) with it and
87 / 77 / 60 % without (on evaluation seeds 1000-1019: 75 / 65 / 70 % with, 85 / 65 / 50 %
without, and 100 % at 192 on all three with it). With several objectives (and a ParEGO
acquisition) the parents are the front found so far; on NB201 accuracy vs latency, together with
ParEGO's anchors, it lowered the mean hypervolume shortfall at 192 queries on two devices of
three, on tuning seeds 0-9 and on evaluation seeds 1000-1009 alike, and at 96 queries on pixel3
and fpga both times (bench/notes/multi-objective.md, "Accuracy vs latency with anchors and front edits")."""


def _proposer_names() -> tuple[str, ...]:
    return (*Proposer.registered(), "local")


PROPOSERS: tuple[str, ...] = _proposer_names()
"""The proposer names a preset resolves: every registered proposer (``config_name``) and
``"local"`` (local search)."""


def make_proposer(name: str | Proposer, space: SearchSpace, seed: int = 0, **kwargs: Any) -> Proposer:
    """A proposer by name, with the measured settings; instances pass through.

    ``"agnet"`` (:class:`~agnet_bo.proposers.GeneratorProposer`; the autoregressive generator is
    retrained for :data:`AGNET_RETRAIN_EPOCHS` epochs per round unless ``epochs`` is given),
    ``"random"``, ``"mutation"``, ``"evolution"`` (their classes' defaults) or ``"local"`` (local
    search: random single-edit neighbours of the best architecture so far, a
    :class:`~agnet_bo.proposers.MutationProposer` with one parent; once the best one's
    neighbourhood is used up the pool is padded with random architectures, a restart).

    Raises:
        UnknownNameError: If ``name`` is not one of :data:`PROPOSERS`.
    """
    if isinstance(name, Proposer):
        return name
    if name == "local":
        name, kwargs = "mutation", {"n_parents": 1, **kwargs}
    classes = Proposer.registered()
    if not isinstance(name, str) or name not in classes:
        raise unknown_name("proposer", name, PROPOSERS, "Or pass a Proposer instance.")
    if name == "agnet":
        if kwargs.get("mode", "autoregressive") == "autoregressive" and "generator" not in kwargs:
            kwargs.setdefault("epochs", AGNET_RETRAIN_EPOCHS)
        kwargs["seed"] = seed
    out: Proposer = classes[name](space, **kwargs)
    return out


def default_n_initial(space: SearchSpace) -> int:
    """16 random architectures, or in a space of known size below 160 a tenth of it (at least 2),
    so that a small space is not mostly spent at random (bench/topics/search-quality.md,
    "The suite": chains of 27-256 architectures)."""
    size = space.size
    return 16 if size is None or size >= 160 else max(2, size // 10)


Components = Strategy
"""The older name of :class:`~agnet_bo.strategy.Strategy`, what a preset returns."""


Component = Any  # None, a name, or an instance


class Preset(Protocol):
    """A preset: a function of the search's description and the user's components."""

    def __call__(
        self,
        space: SearchSpace,
        objectives: Mapping[str, str],
        constraints: Mapping[str, tuple[str, float]],
        *,
        surrogate: Component = None,
        proposer: Component = None,
        acquisition: Component = None,
        seed: int = 0,
        generator: Any = None,
    ) -> Strategy: ...


def _acquisition(name_or_obj: Component, default: str, multi: bool) -> Acquisition:
    acq = default if name_or_obj is None else name_or_obj
    if isinstance(acq, Acquisition):
        return acq
    if isinstance(acq, str):
        if multi and acq in ("parego", "qlogehvi+parego"):
            # a quarter of ParEGO's picks maximise one objective alone (DEFAULT_ANCHOR_SHARE)
            return make_acquisition(acq, anchor_share=DEFAULT_ANCHOR_SHARE)
        if acq == "ucb":
            return make_acquisition(acq, kappa=DEFAULT_KAPPA)
        return make_acquisition(acq)
    raise InputError(
        f"`acquisition` must be a name (e.g. 'ucb') or an agnet_bo.acquisition.Acquisition, got {type(acq).__name__} {acq!r}."
    )


def _surrogate(name_or_obj: Component, space: SearchSpace, seed: int, multi: bool) -> Surrogate | str | None:
    """An instance, ``None`` for "none", or the string "paper" (resolved once the proposer exists)."""
    sur = "gp" if name_or_obj is None else name_or_obj
    if isinstance(sur, Surrogate):
        return sur
    if sur == "none":
        return None
    if sur == "paper":
        return "paper"
    if isinstance(sur, str):
        # with several objectives the GP also sees cells as spelled: costs such as latency depend
        # on every operation the hardware runs, dead ones included (bench/notes/multi-objective.md, "the GP sees cells as spelled")
        extra = {"spelled": True} if multi and sur == "gp" else {}
        return make_surrogate(sur, space, seed=seed, **extra)
    raise InputError(
        f"`surrogate` must be a name ('gp', 'gnn', 'mlp', 'ensemble', 'none', 'paper') or an "
        f"agnet_bo.surrogates.Surrogate, got {type(sur).__name__} {sur!r}."
    )


def _joint(surrogate: Surrogate | str | None, proposer: Proposer) -> Surrogate | None:
    if surrogate != "paper":
        return surrogate  # type: ignore[return-value]
    generator = getattr(proposer, "generator", None)
    if getattr(generator, "surrogate_head", None) is None:
        raise InputError(
            'surrogate="paper" is the MLP trained jointly with a paper-mode generator; use preset="paper" '
            '(or proposer=GeneratorProposer(space, mode="paper")).'
        )
    return JointMLPSurrogate(generator)  # type: ignore[arg-type]  # checked just above


def agnet(
    space: SearchSpace,
    objectives: Mapping[str, str],
    constraints: Mapping[str, tuple[str, float]],
    *,
    surrogate: Component = None,
    proposer: Component = None,
    acquisition: Component = None,
    seed: int = 0,
    generator: Any = None,
) -> Strategy:
    """agnet-bo's default: AG-Net's generator proposes, a GP scores, UCB / qLogNEI / ParEGO picks.

    - Surrogate ``"gp"`` (Weisfeiler-Lehman kernel, copula targets); with several objectives it
      also sees cells as spelled (``spelled=True``).
    - Acquisition: :class:`~agnet_bo.acquisition.UCB` with the per-pick kappa spread
      :data:`DEFAULT_KAPPA` for one objective, qLogNEI with constraints,
      ParEGO with a quarter of anchor picks (:data:`DEFAULT_ANCHOR_SHARE`)
      for several objectives (it left a smaller hypervolume shortfall than qLogEHVI on NB201
      accuracy vs latency, bench/topics/multi-objective.md).
    - Proposer ``"agnet"``: the generator, retrained 10 epochs per round
      (:data:`AGNET_RETRAIN_EPOCHS`); with a surrogate, a quarter of each pool
      is single edits of the best architectures (of the front, with ParEGO)
      (:data:`AGNET_LOCAL_FRACTION`).
    - 300 candidates per round; 16 random trials first, fewer in small spaces
      (:func:`default_n_initial`).
    """
    multi = len(objectives) > 1
    default_acq = "parego" if multi else ("qlognei" if constraints else "ucb")
    acq = _acquisition(acquisition, "greedy" if surrogate == "paper" else default_acq, multi)  # the paper's MLP has no variance
    sur = _surrogate(surrogate, space, seed, multi)
    prop = "agnet" if proposer is None else proposer
    if generator is not None and prop != "agnet":
        raise InputError(f'`generator` is the proposal distribution of proposer="agnet"; got proposer={prop!r}.')
    if isinstance(prop, str):
        kwargs: dict[str, Any] = {} if generator is None else {"generator": generator}
        if prop == "agnet" and sur == "paper" and proposer is None and generator is None:
            kwargs["mode"] = "paper"  # the paper's MLP is trained jointly with a paper-mode generator
        if prop == "agnet" and sur not in (None, "paper") and (not multi or isinstance(acq, ParEGO)):
            kwargs["local_fraction"] = AGNET_LOCAL_FRACTION  # measured with ParEGO's anchors
        prop = make_proposer(prop, space, seed=seed, **kwargs)
    elif not isinstance(prop, Proposer):
        raise InputError(
            f"`proposer` must be a name ('agnet', 'random', 'mutation', 'evolution', 'local') or an "
            f"agnet_bo.proposers.Proposer, got {type(prop).__name__} {prop!r}."
        )
    return Strategy(_joint(sur, prop), prop, acq)


def paper(
    space: SearchSpace,
    objectives: Mapping[str, str],
    constraints: Mapping[str, tuple[str, float]],
    *,
    surrogate: Component = None,
    proposer: Component = None,
    acquisition: Component = None,
    seed: int = 0,
    generator: Any = None,
) -> Strategy:
    """AG-Net's published protocol (docs/design.md, "The method and its published protocol").

    16 random architectures, then per round: the generator in ``"paper"`` mode is retrained with
    rank weights (k = 0.01) and the joint loss (alpha = 0.9) for 30 epochs (15 on NAS-Bench-101),
    100 new candidates are generated and the best by the jointly trained MLP are chosen (greedy).
    Components given by the user replace the protocol's.
    """
    if proposer is None:
        epochs = space.paper_generator_epochs  # the paper's, per space (15 on NAS-Bench-101, else 30)
        extra = {} if generator is None else {"generator": generator}
        proposer = make_proposer(
            "agnet", space, seed=seed, mode="paper", epochs=epochs, rank_k=0.01, alpha=0.9, lr=1e-3, **extra
        )
    base = agnet(
        space, objectives, constraints, surrogate="paper" if surrogate is None else surrogate, proposer=proposer,
        acquisition=GreedyMean() if acquisition is None else acquisition, seed=seed,
    )
    return Strategy(base.surrogate, base.proposer, base.acquisition, n_initial=16, pool_size=100)


def agnet_mlp(space: SearchSpace, objectives: Mapping[str, str], constraints: Mapping[str, tuple[str, float]], *,
              surrogate: Component = None, proposer: Component = None, acquisition: Component = None, seed: int = 0,
              generator: Any = None) -> Strategy:
    """The default pool (300, 16 initial) with the paper's jointly trained MLP and greedy picks."""
    if proposer is None:
        extra = {} if generator is None else {"generator": generator}
        proposer = make_proposer("agnet", space, seed=seed, mode="paper", **extra)
    return agnet(
        space, objectives, constraints, surrogate="paper" if surrogate is None else surrogate, proposer=proposer,
        acquisition="greedy" if acquisition is None else acquisition, seed=seed,
    )


def _variant(name: str, doc: str, *, n_initial: int | None = None, **defaults: str) -> Callable[..., Strategy]:
    """A preset that is :func:`agnet` with other default names (the user's components still win)."""

    def preset(
        space: SearchSpace,
        objectives: Mapping[str, str],
        constraints: Mapping[str, tuple[str, float]],
        *,
        surrogate: Component = None,
        proposer: Component = None,
        acquisition: Component = None,
        seed: int = 0,
        generator: Any = None,
    ) -> Strategy:
        given = {"surrogate": surrogate, "proposer": proposer, "acquisition": acquisition}
        chosen = {k: defaults.get(k) if v is None else v for k, v in given.items()}
        c = agnet(space, objectives, constraints, **chosen, seed=seed, generator=generator)
        return Strategy(c.surrogate, c.proposer, c.acquisition, n_initial=n_initial)

    preset.__name__ = preset.__qualname__ = name
    preset.__doc__ = doc
    return preset


bananas = _variant(
    "bananas",
    """BANANAS-style (White et al., 2021): an MLP ensemble on the path encoding, pools of single
    mutations of the 10 best architectures (``"mutation"``'s defaults), the default acquisition
    (UCB for one objective).""",
    surrogate="mlp", proposer="mutation",
)
evolution = _variant(
    "evolution", "Regularised evolution (population 10, tournament 3, 10 random first), no surrogate.",
    n_initial=10, surrogate="none", proposer="evolution",
)
local_search = _variant(
    "local_search", "Local search: random single-edit neighbours of the best so far (random restarts), no surrogate.",
    surrogate="none", proposer="local",
)
random_search = _variant("random_search", "Random search.", surrogate="none", proposer="random")


PRESETS: dict[str, Callable[..., Strategy]] = {
    "agnet": agnet,
    "paper": paper,
    "agnet-mlp": agnet_mlp,
    "bananas": bananas,
    "evolution": evolution,
    "local": local_search,
    "random": random_search,
}
"""The presets by name."""


def get_preset(preset: str | Callable[..., Strategy]) -> tuple[str | None, Callable[..., Strategy]]:
    """``(name, function)`` of a preset given by name or as a function (name ``None``)."""
    if callable(preset):
        return None, preset
    if isinstance(preset, str) and preset in PRESETS:
        return preset, PRESETS[preset]
    raise unknown_name("preset", preset, tuple(PRESETS), "Or pass a preset function (see agnet_bo.presets).")


def build(
    preset: str | Callable[..., Strategy],
    space: SearchSpace,
    problem: Problem,
    *,
    surrogate: Component = None,
    proposer: Component = None,
    acquisition: Component = None,
    seed: int = 0,
    generator: Any = None,
    n_initial: int | None = None,
    pool_size: int | None = None,
    max_model_trials: int | None = None,
) -> tuple[str | None, Strategy]:
    """``(name, strategy)``: the preset's strategy for a search, with ``n_initial``,
    ``pool_size`` and ``max_model_trials`` (given, else the preset's, else
    :func:`default_n_initial`, :data:`DEFAULT_POOL_SIZE` and :data:`DEFAULT_MAX_MODEL_TRIALS`)
    checked and set. What :class:`~agnet_bo.Optimizer` does first.

    Raises:
        InputError: An unknown preset, a preset that returns no Strategy, an untrained
            ``generator``, components that do not fit the objectives.
    """
    if generator is not None:
        from agnet_bo.generator import Generator

        if not isinstance(generator, Generator):
            raise InputError(f"`generator` must be an agnet_bo.generator.Generator, got {type(generator).__name__}.")
        if not generator.is_trained:
            raise InputError("`generator` is untrained; pretrain it first (generator.pretrain()) or leave it out.")
    name, fn = get_preset(preset)
    strategy = fn(
        space, problem.objectives, problem.constraints, surrogate=surrogate, proposer=proposer,
        acquisition=acquisition, seed=seed, generator=generator,
    )
    if not isinstance(strategy, Strategy):
        raise InputError(
            f"A preset must return an agnet_bo.strategy.Strategy (e.g. Strategy(surrogate, proposer, acquisition)), "
            f"got {type(strategy).__name__}."
        )
    if strategy.acquisition is not None:
        strategy.acquisition.check(problem.n_objectives, len(problem.constraints))
    if n_initial is None:
        n_initial = strategy.n_initial if strategy.n_initial is not None else default_n_initial(space)
    if pool_size is None:
        pool_size = strategy.pool_size if strategy.pool_size is not None else DEFAULT_POOL_SIZE
    if max_model_trials is None:
        max_model_trials = strategy.max_model_trials if strategy.max_model_trials is not None else DEFAULT_MAX_MODEL_TRIALS
    strategy.n_initial = check_int("n_initial", n_initial)
    strategy.pool_size = check_int("pool_size", pool_size)
    strategy.max_model_trials = check_int("max_model_trials", max_model_trials, minimum=0)
    return name, strategy
