"""Conformance checks for :class:`~agnet_bo.surrogates.Surrogate` implementations.

Two ways to run them on your own surrogate::

    from agnet_bo.testing import SurrogateTests, check_surrogate

    check_surrogate(lambda space: MySurrogate(space, seed=0), NB201Space())   # raises AssertionError

    class TestMySurrogate(SurrogateTests):     # in a pytest file: one test per check
        def make_surrogate(self, space):
            return MySurrogate(space, seed=0)

A check receives a *factory* ``space -> Surrogate`` rather than an instance, because some checks
need two fresh surrogates (determinism, ``load_state_dict``); the factory must fix the seed. The
targets are synthetic (operation counts), so the checks run in seconds on any space. Keep the
surrogate small in tests (few epochs, members, restarts): the checks test the contract, not the
accuracy.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, NotFittedError
from agnet_bo.spaces.base import SearchSpace

if TYPE_CHECKING:  # torch, BoTorch and the surrogates are imported when a check runs
    from agnet_bo.surrogates.base import Surrogate

__all__ = ["SurrogateTests", "check_surrogate", "SURROGATE_CHECKS", "SurrogateFactory", "synthetic_targets"]

SurrogateFactory = Callable[[SearchSpace], "Surrogate"]
"""A callable building a fresh, unfitted surrogate for a space (with a fixed seed)."""


def synthetic_targets(space: SearchSpace, archs: list[Architecture], m: int = 1) -> np.ndarray:
    """Easy targets: counts of operations, an ``n x m`` float array.

    Output 0 counts the first operation of ``space.node_types`` that is not ``"none"`` (plus a
    small, deterministic tie-breaker: a tenth of the count of the next operation); output ``j``
    counts the ``j``-th operation after it, so outputs differ.
    """
    ops = [t for t in space.node_types[1:-1] if t != "none"] or list(space.node_types[1:-1])
    cols = []
    for j in range(m):
        a, b = ops[j % len(ops)], ops[(j + 1) % len(ops)]
        cols.append([arch.ops.count(a) + 0.1 * arch.ops.count(b) for arch in archs])
    return np.asarray(cols, dtype=np.float64).T


def _data(space: SearchSpace, n: int, seed: int, m: int = 1) -> tuple[list[Architecture], np.ndarray]:
    archs = space.sample(n, seed=seed)
    return archs, synthetic_targets(space, archs, m)


def _fresh(factory: SurrogateFactory, space: SearchSpace) -> Surrogate:
    from agnet_bo.surrogates.base import Surrogate

    s = factory(space)
    assert isinstance(s, Surrogate), f"the factory must return a Surrogate, got {type(s).__name__}"
    assert not s.is_fitted, "a new surrogate must not be fitted"
    return s


def check_fit_predict(factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """``fit`` returns self; ``predict`` gives ``n x m`` float64 means and positive finite variances."""
    import torch

    archs, Y = _data(space, n, seed, m=2)
    test = space.sample(8, seed=seed + 1)
    for m in (1, 2):
        s = _fresh(factory, space)
        out = s.fit(archs, Y[:, :m])
        assert out is s, "fit must return self"
        assert s.is_fitted, "is_fitted must be True after fit"
        assert s.num_outputs == m, f"num_outputs is {s.num_outputs} after fitting {m} output(s)"
        mean, var = s.predict(test)
        for name, t in (("mean", mean), ("variance", var)):
            assert isinstance(t, torch.Tensor), f"predict {name} must be a torch.Tensor, got {type(t).__name__}"
            assert t.shape == (len(test), m), f"predict {name} shape {tuple(t.shape)} != ({len(test)}, {m})"
            assert t.dtype == torch.float64, f"predict {name} dtype {t.dtype}, expected torch.float64"
            assert torch.isfinite(t).all(), f"predict {name} has non-finite values"
        assert (var > 0).all(), "predicted variances must be > 0"
        empty_mean, empty_var = s.predict([])
        assert empty_mean.shape == (0, m) and empty_var.shape == (0, m), "predict([]) must give 0 x m tensors"
    s = _fresh(factory, space).fit(archs, Y[:, 0])  # 1-D targets are n x 1
    assert s.num_outputs == 1, "1-D Y must be read as n x 1"
    s = _fresh(factory, space).fit(archs, torch.as_tensor(Y[:, :1]))  # tensors work too
    assert s.predict(test)[0].shape == (len(test), 1), "fit on a tensor Y failed"


def check_not_fitted(factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """Using an unfitted surrogate raises ``NotFittedError`` with a message pointing to ``fit``."""
    s = _fresh(factory, space)
    archs = space.sample(4, seed=seed)
    calls: dict[str, Callable[[], object]] = {
        "predict": lambda: s.predict(archs),
        "num_outputs": lambda: s.num_outputs,
        "as_botorch_model": lambda: s.as_botorch_model(archs),
        "transform_targets": lambda: s.transform_targets([1.0]),
    }
    for what, call in calls.items():
        try:
            call()
        except NotFittedError as exc:
            assert "fit" in str(exc), f"the NotFittedError of {what} should tell the user to call fit: {exc}"
        else:
            raise AssertionError(f"{what} before fit must raise NotFittedError")


def check_input_validation(factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """Bad inputs raise the library's InputError (a ValueError) with a message, before any fitting."""
    archs, Y = _data(space, max(n, 4), seed)
    bad_arch = Architecture([archs[0].ops[0], "definitely-not-an-op", *archs[0].ops[2:]], archs[0].adjacency)
    y_nan = Y.copy()
    y_nan[1, 0] = np.nan
    y_inf = Y.copy()
    y_inf[0, 0] = np.inf
    cases: dict[str, tuple[object, object]] = {
        "empty archs": ([], np.zeros((0, 1))),
        "length mismatch": (archs, Y[:-1]),
        "NaN target": (archs, y_nan),
        "inf target": (archs, y_inf),
        "3-d Y": (archs, Y.reshape(len(archs), 1, 1)),
        "string Y": (archs, np.array(["a"] * len(archs))),
        "not an architecture": ([*archs[:-1], "input->output"], Y),
        "encodings instead of architectures": (space.encode(archs), Y),
        "architecture of another space": ([*archs[:-1], bad_arch], Y),
    }
    for what, (a, y) in cases.items():
        s = _fresh(factory, space)
        try:
            s.fit(a, y)  # type: ignore[arg-type]
        except InputError as exc:
            assert str(exc), f"{what}: the error has no message"
            if what == "architecture of another space":
                assert isinstance(exc, InvalidArchitectureError), f"{what}: expected InvalidArchitectureError"
        else:
            raise AssertionError(f"fit accepted bad input ({what})")
        assert not s.is_fitted, f"a failed fit ({what}) must leave the surrogate unfitted"
    s = _fresh(factory, space).fit(archs, Y)
    for what, a in {"not an architecture": [archs[0], 3], "architecture of another space": [bad_arch]}.items():
        try:
            s.predict(a)  # type: ignore[arg-type]
        except InputError:
            pass
        else:
            raise AssertionError(f"predict accepted bad input ({what})")


def check_determinism(factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """Two surrogates from the factory, fitted on the same data, predict the same."""
    import torch

    archs, Y = _data(space, n, seed)
    test = space.sample(16, seed=seed + 1)
    a = _fresh(factory, space).fit(archs, Y).predict(test)
    b = _fresh(factory, space).fit(archs, Y).predict(test)
    for name, x, y in (("mean", a[0], b[0]), ("variance", a[1], b[1])):
        assert torch.allclose(x, y, rtol=1e-6, atol=1e-9), f"same seed, same data, different predicted {name}"


def check_ranking(
    factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0, min_tau: float = 0.3
) -> None:
    """Ranks unseen architectures of an easy synthetic target better than chance (Kendall tau >= ``min_tau``)."""
    from scipy.stats import kendalltau

    archs = space.sample(n + 64, seed=seed)
    Y = synthetic_targets(space, archs)
    s = _fresh(factory, space).fit(archs[:n], Y[:n])
    mean, _ = s.predict(archs[n:])
    tau = kendalltau(mean[:, 0].numpy(), Y[n:, 0]).statistic
    assert tau >= min_tau, f"Kendall tau {tau:.3f} < {min_tau} on an easy synthetic target with {n} training points"


def check_state_dict(factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """``state_dict`` survives ``torch.save`` / ``torch.load(weights_only=True)`` and restores predictions."""
    import torch

    archs, Y = _data(space, n, seed, m=2)
    test = space.sample(8, seed=seed + 1)
    s = _fresh(factory, space).fit(archs, Y)
    buf = io.BytesIO()
    torch.save(s.state_dict(), buf)
    buf.seek(0)
    state = torch.load(buf, weights_only=True)
    restored = _fresh(factory, space).load_state_dict(state)
    assert restored.is_fitted and restored.num_outputs == 2, "a loaded fitted state must be fitted with m outputs"
    for name, x, y in zip(("mean", "variance"), s.predict(test), restored.predict(test), strict=False):
        assert torch.allclose(x, y, rtol=1e-9, atol=1e-12), f"predicted {name} changed after a state_dict round trip"
    unfitted = _fresh(factory, space).load_state_dict(_fresh(factory, space).state_dict())
    assert not unfitted.is_fitted, "loading an unfitted state must give an unfitted surrogate"
    try:
        _fresh(factory, space).load_state_dict({**state, "class": "SomethingElse"})
    except InputError:
        pass
    else:
        raise AssertionError("load_state_dict accepted a state of another class")


def check_botorch_adapter(factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """``as_botorch_model``: posterior shapes ``b x q x m``, means equal ``predict``, BoTorch acquisitions run."""
    import torch
    from botorch.acquisition import qLogExpectedImprovement, qUpperConfidenceBound
    from botorch.acquisition.objective import GenericMCObjective
    from botorch.optim import optimize_acqf_discrete
    from botorch.posteriors.ensemble import EnsemblePosterior
    from botorch.sampling import SobolQMCNormalSampler
    from botorch.sampling.index_sampler import IndexSampler

    archs, Y = _data(space, n, seed, m=2)
    pool = space.sample(24, seed=seed + 1)
    for m in (1, 2):
        s = _fresh(factory, space).fit(archs, Y[:, :m])
        model = s.as_botorch_model(pool)
        assert model.num_outputs == m, f"model.num_outputs {model.num_outputs} != {m}"
        choices = model.choices
        assert choices.shape == (len(pool), 1), f"choices shape {tuple(choices.shape)} != ({len(pool)}, 1)"
        post: Any = model.posterior(choices.unsqueeze(-2))  # N x 1 x 1
        assert post.mean.shape == (len(pool), 1, m), f"posterior mean shape {tuple(post.mean.shape)}"
        assert post.variance.shape == (len(pool), 1, m), f"posterior variance shape {tuple(post.variance.shape)}"
        assert (post.variance >= 0).all() and torch.isfinite(post.variance).all(), "posterior variance not >= 0"
        mean, _ = s.predict(pool)
        assert torch.allclose(post.mean.squeeze(-2), mean, rtol=1e-5, atol=1e-6), "posterior mean != predict mean"
        X = choices[:12].reshape(3, 4, 1)
        joint: Any = model.posterior(X)
        assert joint.mean.shape == (3, 4, m), f"b x q posterior mean shape {tuple(joint.mean.shape)} != (3, 4, {m})"
        samples = joint.rsample(torch.Size([5]))
        assert samples.shape == (5, 3, 4, m), f"posterior samples shape {tuple(samples.shape)} != (5, 3, 4, {m})"
        sampler: object = (
            IndexSampler(torch.Size([16]), seed=0)
            if isinstance(joint, EnsemblePosterior)
            else SobolQMCNormalSampler(torch.Size([16]), seed=0)
        )
        first: Callable[..., torch.Tensor] = lambda Z, X=None: Z[..., 0]  # noqa: E731
        objective = None if m == 1 else GenericMCObjective(first)
        best_f = s.transform_targets(Y[:, :m])[:, 0].max()
        for acq in (
            qUpperConfidenceBound(model, beta=4.0, sampler=sampler, objective=objective),  # type: ignore[arg-type]
            qLogExpectedImprovement(
                model, best_f=best_f, sampler=sampler, objective=objective  # type: ignore[arg-type]
            ),
        ):
            values = acq(X)
            assert values.shape == (3,) and torch.isfinite(values).all(), f"{type(acq).__name__} values {values}"
            cand, _ = optimize_acqf_discrete(acq, q=4, choices=choices)
            idx = cand.squeeze(-1).tolist()
            assert len(idx) == 4 and len(set(idx)) == 4, f"optimize_acqf_discrete returned {idx}, not 4 distinct"
            assert all(float(i).is_integer() and 0 <= i < len(pool) for i in idx), f"not pool indices: {idx}"
            assert len(model.architectures(cand)) == 4


SURROGATE_CHECKS: dict[str, Callable[..., None]] = {
    "fit_predict": check_fit_predict,
    "not_fitted": check_not_fitted,
    "input_validation": check_input_validation,
    "determinism": check_determinism,
    "ranking": check_ranking,
    "state_dict": check_state_dict,
    "botorch_adapter": check_botorch_adapter,
}
"""Every conformance check, by name."""


def check_surrogate(factory: SurrogateFactory, space: SearchSpace, n: int = 32, seed: int = 0) -> None:
    """Run every conformance check.

    Args:
        factory: Builds a fresh, unfitted surrogate for a space, with a fixed seed.
        space: The space to test on (e.g. ``NB201Space()``).
        n: Training points per check.
        seed: Seed of the sampled architectures.

    Raises:
        AssertionError: Naming the first check that failed and why.
    """
    for name, check in SURROGATE_CHECKS.items():
        try:
            check(factory, space, n=n, seed=seed)
        except AssertionError as exc:
            raise AssertionError(f"surrogate check {name!r} failed: {exc}") from exc


class SurrogateTests(ABC):
    """Subclass in a pytest file and implement :meth:`make_surrogate`; each check becomes a test.

    Override :meth:`make_space` to test on another space than NAS-Bench-201 (the default), and
    the class attributes ``n``, ``seed`` and ``min_tau`` to adjust the checks.
    """

    n: int = 32
    seed: int = 0
    min_tau: float = 0.3

    @abstractmethod
    def make_surrogate(self, space: SearchSpace) -> Surrogate:
        """Return a fresh, unfitted surrogate for ``space`` with a fixed seed (small, for speed)."""

    def make_space(self) -> SearchSpace:
        """The space the checks run on (default: :class:`~agnet_bo.spaces.NB201Space`)."""
        from agnet_bo.spaces import NB201Space

        return NB201Space()

    def test_fit_predict(self) -> None:
        check_fit_predict(self.make_surrogate, self.make_space(), self.n, self.seed)

    def test_not_fitted(self) -> None:
        check_not_fitted(self.make_surrogate, self.make_space(), self.n, self.seed)

    def test_input_validation(self) -> None:
        check_input_validation(self.make_surrogate, self.make_space(), self.n, self.seed)

    def test_determinism(self) -> None:
        check_determinism(self.make_surrogate, self.make_space(), self.n, self.seed)

    def test_ranking(self) -> None:
        check_ranking(self.make_surrogate, self.make_space(), self.n, self.seed, self.min_tau)

    def test_state_dict(self) -> None:
        check_state_dict(self.make_surrogate, self.make_space(), self.n, self.seed)

    def test_botorch_adapter(self) -> None:
        check_botorch_adapter(self.make_surrogate, self.make_space(), self.n, self.seed)
