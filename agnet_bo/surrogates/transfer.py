"""Transfer from earlier tasks: the new task's surrogate, weighted with one model per prior task.

:class:`TransferSurrogate` wraps any :class:`~agnet_bo.surrogates.Surrogate` (the *target*
model, fitted on the new search's results) and a :class:`~agnet_bo.prior.Prior`. Each prior task
gets a model of the same kind, fitted once on the normal scores of its own ranks, so only the
order within a task carries over (never its units). The prediction is a weighted sum (RGPE, the
ranking-weighted Gaussian process ensemble of Feurer et al. 2018):

.. math::  \\mu(x) = w_0 \\mu_0(x) + \\sum_t w_t (a + b \\mu_t(x)), \\quad
           \\Sigma = w_0^2 \\Sigma_0 + \\sum_t w_t^2 b^2 \\Sigma_t,

with ``a``, ``b`` the mean and spread of the new task's results in the target's units. The
weights are the guard against negative transfer: on every fit, ``samples`` draws from each
model's predictions of the new task's results (the target's own leave-one-out predictions, so
it is judged on what it did not see) count the pairs each model ranks wrongly, and each model's
weight is the share of draws in which it ranked best. A prior task whose median loss is worse
than the target's 95th percentile gets no weight at all, so a misleading or useless task stops
counting as soon as the new results contradict it, and the search falls back on its own data.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from botorch.models.transforms.outcome import OutcomeTransform
from botorch.posteriors import Posterior
from torch import Tensor

from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.surrogates.base import Surrogate
from agnet_bo.surrogates.posteriors import gaussian_posterior

__all__ = ["TransferSurrogate", "ranking_losses"]

logger = logging.getLogger(__name__)

MAX_WEIGHT_POINTS = 64
"""The most results of the new task the weights are computed on (a random subset past it)."""


class _PriorModels:
    """The prior tasks' fitted models: ``[(task name, surrogate, columns)]``. Fitted once and never
    changed, so copies of a :class:`TransferSurrogate` (a round trains a copy) share them."""

    def __init__(self, models: list[tuple[str, Surrogate, list[int]]]) -> None:
        self.models = models

    def __deepcopy__(self, memo: dict[int, Any]) -> _PriorModels:
        return self


class TransferSurrogate(Surrogate):
    """A surrogate that learns from earlier tasks and weighs them by the new task's results.

    Args:
        base: The target model (any :class:`Surrogate`); copies of it, fitted once, model the
            prior tasks (built from its configuration, or deep-copied for a class of your own).
        prior: A :class:`~agnet_bo.prior.Prior` of the same space.
        metrics: The modelled metrics of the new search, in the order of the columns of ``Y``.
            Default ``None``: unnamed, column ``j`` of ``Y`` matches each prior task's ``j``-th
            objective (in its maximisation sense).
        objectives: The new search's ``{metric: direction}``, to match each prior task's columns
            by name (:meth:`PriorTask.column <agnet_bo.prior.PriorTask.column>`); default: every
            metric maximised.
        samples: Draws per fit for the weights (default 256).
        prior_limit: The most architectures of one prior task its model is fitted on (the best
            half and a random rest past it; default 300).
        seed: Seed of the prior models' fits and of the weights' draws (default: the base's).

    Attributes:
        weights_: After :meth:`fit`, ``{name: [weight per metric]}``: ``"target"`` and each prior task.

    Example:
        >>> import agnet_bo as ab
        >>> from agnet_bo.surrogates import GPSurrogate, TransferSurrogate
        >>> space = ab.spaces.NB201Space()
        >>> archs = space.sample(60, seed=0)
        >>> f = lambda a: a.ops.count("nor_conv_3x3") + 0.1 * a.ops.count("skip_connect")
        >>> prior = ab.Prior(space=space).add(archs[:40], [f(a) for a in archs[:40]], name="earlier")
        >>> ts = TransferSurrogate(GPSurrogate(space, seed=0), prior).fit(archs[40:], [f(a) for a in archs[40:]])
        >>> sorted(ts.weights_), round(sum(w[0] for w in ts.weights_.values()), 6)
        (['earlier', 'target'], 1.0)
    """

    def __init__(
        self,
        base: Surrogate,
        prior: Any,
        *,
        metrics: Sequence[str] | None = None,
        objectives: Mapping[str, str] | None = None,
        samples: int = 256,
        prior_limit: int = 300,
        seed: int | None = None,
    ) -> None:
        from agnet_bo.prior import Prior

        if not isinstance(base, Surrogate) or isinstance(base, TransferSurrogate):
            raise InputError(f"`base` must be a Surrogate (not a TransferSurrogate), got {type(base).__name__}.")
        if not isinstance(prior, Prior) or not prior.tasks:
            raise InputError(f"`prior` must be an agnet_bo.Prior with at least one task, got {prior!r:.80}.")
        if int(samples) < 8:
            raise InputError(f"`samples` must be at least 8, got {samples!r}.")
        super().__init__(base.space, target_transform=None, seed=base.seed if seed is None else seed, num_threads=base.num_threads)
        self.base = base
        self.prior = prior
        self.metrics = None if metrics is None else list(metrics)
        self.objectives = None if metrics is None else dict(objectives) if objectives is not None else {m: "maximize" for m in metrics}
        self.samples = int(samples)
        self.prior_limit = int(prior_limit)
        self._prior_models: tuple[int, _PriorModels] | None = None
        self.weights_: dict[str, list[float]] | None = None
        self._w: np.ndarray | None = None  # (1 + T) x m
        self._affine: tuple[np.ndarray, np.ndarray] | None = None  # a, b per output

    @property
    def target_transform(self) -> str | None:
        """The base's target transform (the units of the predictions)."""
        return self.base.target_transform

    def get_params(self) -> dict[str, Any]:
        return {
            "base": {"class": type(self.base).__name__, **self.base.get_params()},
            "prior_tasks": [t.name for t in self.prior.tasks],
            "samples": self.samples, "prior_limit": self.prior_limit, "seed": self.seed,
        }

    def _output_transform(self) -> OutcomeTransform | None:
        return self.base.target_transform_

    # -- the prior tasks' models ------------------------------------------------------------
    def _fresh(self) -> Surrogate:
        try:
            model: Surrogate = Surrogate.from_config(self.base.to_config(), space=self.space, proposer=None)
        except Exception:  # a class of your own: a deep copy of the (possibly fitted) base, refitted
            model = copy.deepcopy(self.base)
        model.warm_start = False
        return model

    def prior_models(self) -> list[tuple[str, Surrogate, list[int]]]:
        """``[(task name, fitted model, columns of the new search it predicts)]``, fitted on
        first use; a task that shares no metric with the new search has none."""
        m = self.num_outputs
        if self._prior_models is None or self._prior_models[0] != m:
            out = []
            names = self.metrics if self.metrics is not None else [f"y{j}" for j in range(m)]
            for t, task in enumerate(self.prior.tasks):
                data = self.prior.model_data(task, self.objectives, names, self.space, self.prior_limit, int(self.seed or 0) + t)
                if data is None:
                    continue
                archs, Z, cols = data
                model = self._fresh()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(archs, Z)
                out.append((task.name, model, cols))
            if not out:
                raise InputError(
                    f"No prior task has a value for the metrics {names} of this search; name the prior's "
                    "metrics as the search's (or give a one-objective search a one-objective prior)."
                )
            self._prior_models = (m, _PriorModels(out))
        return self._prior_models[1].models

    # -- fit ----------------------------------------------------------------------------------
    def _fit(self, archs: list[Architecture], Y: Tensor) -> None:
        if self.metrics is not None and Y.shape[-1] != len(self.metrics):
            raise InputError(
                f"The TransferSurrogate models the metrics {self.metrics}, but Y has {Y.shape[-1]} columns; pass metrics=[...]."
            )
        self.base.warm_start = self.warm_start
        self.base.fit(archs, Y)
        self.train_Y_ = Y  # num_outputs, for prior_models(), before the base class sets it
        try:
            priors = self.prior_models()
        except InputError:
            self.train_Y_ = None
            raise
        U = self.base.transform_targets(Y).numpy()  # the new task's results in the units of the predictions
        n, m = U.shape
        a = U.mean(axis=0)
        b = U.std(axis=0) if n > 1 else np.ones(m)
        b = np.where(b > 1e-9, b, 1.0)
        self._affine = (a, b)
        rng = np.random.default_rng([int(self.seed or 0), n, 11])
        pick = np.sort(rng.choice(n, size=MAX_WEIGHT_POINTS, replace=False)) if n > MAX_WEIGHT_POINTS else np.arange(n)
        sub = [archs[i] for i in pick]
        loo_mean, loo_var = self._loo(archs, Y)
        W = np.zeros((1 + len(priors), m))
        preds = [tuple(x.numpy() for x in model.predict(sub)) for _, model, _ in priors]  # once per model, every column
        for j in range(m):
            draws = [rng.normal(loo_mean[pick, j], np.sqrt(loo_var[pick, j]), size=(self.samples, len(pick)))]
            who = [0]
            for t, ((_, _, cols), (mus, vars_)) in enumerate(zip(priors, preds, strict=True), start=1):
                if j not in cols:
                    continue
                mu, var = mus[:, cols.index(j)], vars_[:, cols.index(j)]
                draws.append(rng.normal(a[j] + b[j] * mu, b[j] * np.sqrt(var), size=(self.samples, len(pick))))
                who.append(t)
            losses = np.stack([ranking_losses(F, U[pick, j]) for F in draws])  # models x samples
            keep = np.ones(len(who), dtype=bool)
            cut = np.percentile(losses[0], 95)
            keep[1:] = np.median(losses[1:], axis=1) <= cut  # dilution guard: worse than the target alone
            scored = np.where(keep[:, None], losses, np.inf) + rng.random(losses.shape) * 1e-6  # ties at random
            wins = np.bincount(np.argmin(scored, axis=0), minlength=len(who)) / self.samples
            for k, t in enumerate(who):
                W[t, j] = wins[k]
        self._w = W
        names = ["target"] + [name for name, _, _ in priors]
        self.weights_ = {name: [float(x) for x in W[i]] for i, name in enumerate(names)}
        logger.debug("transfer weights on %d results: %s", n, self.weights_)

    def _loo(self, archs: list[Architecture], Y: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Leave-one-out predictive mean and variance (``n x m``, the units of the predictions) of
        the target model: closed form for a GP, else from ``k``-fold refits of a copy."""
        from agnet_bo.surrogates.gp import GPSurrogate

        n, m = Y.shape
        if isinstance(self.base, GPSurrogate) and self.base.model_ is not None:
            gp = self.base.model_
            with torch.no_grad():
                X = gp.train_inputs[0]
                K = gp.covar_module(X).to_dense()  # n x n, or m x n x n
                noise = gp.likelihood.noise.reshape(-1)
                noise = noise.reshape(-1, 1) if K.dim() == 3 else noise
                eye = torch.eye(n, dtype=K.dtype)
                K = K + (noise.unsqueeze(-1) + 1e-8) * eye
                y = gp.train_targets  # n, or m x n
                Kinv = torch.cholesky_inverse(torch.linalg.cholesky(K))
                d = torch.diagonal(Kinv, dim1=-2, dim2=-1)
                alpha = (Kinv @ (y - gp.mean_module(X)).unsqueeze(-1)).squeeze(-1)
                mean = y - alpha / d
                var = (1.0 / d - noise).clamp_min(1e-9)  # the latent function's, as predict() gives
            mean = mean.reshape(m, n).T if m > 1 else mean.reshape(n, 1)
            var = var.reshape(m, n).T if m > 1 else var.reshape(n, 1)
            mean_o, var_o = self.base._to_output_units(mean, var)
            return mean_o.numpy(), var_o.numpy()
        U = self.base.transform_targets(Y).numpy()
        mean_np, var_np = np.tile(U.mean(axis=0), (n, 1)), np.tile(U.var(axis=0) + 1.0, (n, 1))
        if n < 3:
            return mean_np, var_np
        folds = np.arange(n) % min(5, n)
        for f in np.unique(folds):
            test, train = np.flatnonzero(folds == f), np.flatnonzero(folds != f)
            model = self._fresh()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit([archs[i] for i in train], Y[train])
                mu, var = model.predict([archs[i] for i in test])
            mean_np[test], var_np[test] = mu.numpy(), var.numpy()
        return mean_np, var_np

    # -- predictions ------------------------------------------------------------------------
    def _combine(self, mean: Tensor, var_or_cov: Tensor, parts: list[tuple[Tensor, Tensor, list[int]]], cov: bool) -> tuple[Tensor, Tensor]:
        assert self._w is not None and self._affine is not None
        a, b = (torch.as_tensor(x, dtype=torch.float64) for x in self._affine)
        W = torch.as_tensor(self._w, dtype=torch.float64)
        m = mean.shape[-1]
        shape = (m, 1, 1) if cov else (m,)
        mean = mean * W[0]
        out = var_or_cov * (W[0] ** 2).reshape(shape)
        for t, (mu, v, cols) in enumerate(parts, start=1):
            for c, j in enumerate(cols):
                mean[..., j] = mean[..., j] + W[t, j] * (a[j] + b[j] * mu[..., c])
                if cov:
                    out[..., j, :, :] = out[..., j, :, :] + (W[t, j] * b[j]) ** 2 * v[..., c, :, :]
                else:
                    out[..., j] = out[..., j] + (W[t, j] * b[j]) ** 2 * v[..., c]
        return mean, out

    def _predict(self, archs: list[Architecture]) -> tuple[Tensor, Tensor]:
        mean, var = self.base.predict(archs)
        parts = [(*model.predict(archs), cols) for _, model, cols in self.prior_models()]
        mean, var = self._combine(mean.clone(), var, parts, cov=False)
        return mean, var.clamp_min(1e-12)

    def pool_handle(self, pool: list[Architecture]) -> tuple[Any, list[Any]]:
        return self.base.pool_handle(pool), [model.pool_handle(pool) for _, model, _ in self.prior_models()]

    def pool_moments(self, handle: tuple[Any, list[Any]], idx: Tensor, observation_noise: bool | Tensor = False) -> tuple[Tensor, Tensor]:
        h_base, h_prior = handle
        mean, cov = self.base.pool_moments(h_base, idx, observation_noise)
        parts = [
            (*model.pool_moments(h, idx, False), cols)
            for (_, model, cols), h in zip(self.prior_models(), h_prior, strict=True)
        ]
        return self._combine(mean.clone(), cov, parts, cov=True)

    def pool_posterior(self, handle: tuple[Any, list[Any]], idx: Tensor, observation_noise: bool | Tensor = False) -> Posterior:
        return gaussian_posterior(*self.pool_moments(handle, idx, observation_noise))

    def pool_condition(self, handle: tuple[Any, list[Any]], idx: list[int]) -> tuple[Any, list[Any]] | None:
        """The target model conditioned (the prior tasks know nothing of the new task's pending trials)."""
        h = self.base.pool_condition(handle[0], idx)
        return None if h is None else (h, handle[1])

    # -- state --------------------------------------------------------------------------------
    def _model_state(self) -> dict[str, Any]:
        assert self._w is not None and self._affine is not None
        return {"base": self.base.state_dict(), "weights": self._w.tolist(), "affine": [x.tolist() for x in self._affine]}

    def _load_model_state(self, state: dict[str, Any], archs: list[Architecture], Y: Tensor) -> None:
        try:
            self.base.load_state_dict(state["base"])
            self._w = np.asarray(state["weights"], dtype=float)
            self._affine = (np.asarray(state["affine"][0], dtype=float), np.asarray(state["affine"][1], dtype=float))
        except (KeyError, TypeError, IndexError) as exc:
            raise InputError(f"Malformed TransferSurrogate state: {exc!r}.") from exc
        self.train_Y_ = Y  # num_outputs, for prior_models(); load_state_dict sets it too
        names = ["target"] + [name for name, _, _ in self.prior_models()]
        self.weights_ = {name: [float(x) for x in self._w[i]] for i, name in enumerate(names)}

    def __repr__(self) -> str:
        return f"TransferSurrogate({self.base!r}, prior={self.prior!r})"


def ranking_losses(F: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Misranked pairs of each row of ``F`` (``S x n`` draws) against ``y`` (``n``): pairs
    ``i < k`` with ``y_i != y_k`` whose order ``F`` gets wrong (a tie in ``F`` counts half)."""
    dy = np.sign(y[:, None] - y[None, :])
    iu = np.triu_indices(len(y), k=1)
    dy = dy[iu]
    valid = dy != 0
    df = np.sign(F[:, :, None] - F[:, None, :])[:, iu[0], iu[1]]
    wrong = (df * dy[None, :] < 0) + 0.5 * (df == 0)
    return (wrong * valid[None, :]).sum(axis=1).astype(float)
