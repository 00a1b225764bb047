"""The :class:`Surrogate` base class.

Notation (BoTorch's): ``n`` architectures, ``m`` outputs (objectives), ``N`` architectures in a
candidate pool, ``b`` a t-batch, ``q`` points considered jointly, ``s`` ensemble members.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch
from botorch.models.transforms.outcome import OutcomeTransform, Standardize
from botorch.posteriors import Posterior
from torch import Tensor

from agnet_bo._config import Configurable
from agnet_bo._threads import torch_threads
from agnet_bo._validation import check_int, check_seed
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, NotFittedError
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates.adapter import PoolModel
from agnet_bo.surrogates.posteriors import gaussian_posterior, posterior_moments
from agnet_bo.surrogates.transforms import CopulaTransform, check_target_transform, make_target_transform

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["Surrogate", "STATE_VERSION"]

STATE_VERSION = 1
"""Version of the :meth:`Surrogate.state_dict` layout."""


class Surrogate(Configurable, ABC):
    r"""A model of ``m`` objectives of architectures: ``fit`` on evaluated ones, ``predict`` new ones.

    Subclasses implement three methods on already validated inputs: :meth:`_fit`,
    :meth:`_predict` and :meth:`get_params` (plus :meth:`_model_state` /
    :meth:`_load_model_state` for :meth:`state_dict`). The public :meth:`fit` and :meth:`predict`
    validate inputs once, apply the target transform and map predictions back, so every
    surrogate behaves the same at the boundary.

    **Target transform and the units of predictions.** ``target_transform`` is applied to ``Y``
    before the model sees it:

    * ``None``: the raw targets; predictions are in the units of ``Y``.
    * ``"standardize"``: BoTorch's ``Standardize`` (zero mean, unit variance per output);
      predictions are mapped back exactly, so they are in the units of ``Y``.
    * ``"copula"``: :class:`~agnet_bo.surrogates.CopulaTransform`, the normal scores of the ranks;
      predictions **stay in normal-score units**, because the rank transform has no inverse beyond
      the best (or worst) value observed, which is exactly where a search looks. The transform is
      monotone, so rankings by the predicted mean are the same in either unit. Use
      :meth:`transform_targets` to put any values (e.g. the incumbent ``best_f`` of an expected
      improvement) in the units of the predictions.

    Variances are those of the latent function (as BoTorch's ``posterior(X).variance`` with
    ``observation_noise=False``), in the same units as the mean.

    **BoTorch.** :meth:`as_botorch_model` wraps a fitted surrogate as a BoTorch ``Model`` over a
    candidate pool, so any BoTorch acquisition function scores and selects pool members.

    **Randomness.** ``seed`` seeds every random choice of :meth:`fit` (through local generators);
    the same seed and data give the same predictions. ``seed=None`` draws fresh entropy.

    **Threads.** :meth:`fit`, :meth:`predict` and the BoTorch model compute with ``num_threads``
    torch threads and restore the caller's setting afterwards (the models are small: one thread
    is fastest, and on a loaded machine more are much slower).

    Args:
        space: The search space of the architectures.
        target_transform: ``"copula"``, ``"standardize"`` or ``None``.
        seed: Seed of the fit, or ``None``.
        num_threads: Torch intra-op threads while computing (``None``: leave torch's setting alone).

    Raises:
        InputError: If ``space`` is not a :class:`~agnet_bo.spaces.SearchSpace`, or ``seed`` or
            ``num_threads`` is invalid.
        UnknownNameError: If ``target_transform`` is not a known name.
    """

    _registry: ClassVar[dict[str, type[Any]]] = {}
    config_kind: ClassVar[str] = "surrogate"

    @classmethod
    def _from_params(cls, params: dict[str, Any], **context: Any) -> Any:
        return cls(context["space"], **params)


    def __init__(
        self,
        space: SearchSpace,
        *,
        target_transform: str | None = "copula",
        seed: int | None = None,
        num_threads: int | None = 1,
    ) -> None:
        if not isinstance(space, SearchSpace):
            raise InputError(
                f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__} {space!r}. "
                "Pass e.g. agnet_bo.spaces.NB201Space()."
            )
        self.space = space
        self._target_transform_name = check_target_transform(target_transform)
        self.seed = check_seed(seed, allow_none=True)
        self.num_threads = None if num_threads is None else check_int("num_threads", num_threads, minimum=1)
        self.target_transform_: OutcomeTransform | None = None
        self.train_archs_: list[Architecture] | None = None
        self.train_Y_: Tensor | None = None
        self.warm_start = False
        """Start the next fit from this fit's hyperparameters instead of the defaults (where
        the model has such a fit, a GP's). The :class:`~agnet_bo.strategy.Strategy` sets it
        past its ``max_model_trials``, where consecutive rounds fit similar data and a cold
        start would pay for most of a round; below it fits start cold, as they always did."""

    # -- what subclasses implement ------------------------------------------------------------
    @abstractmethod
    def _fit(self, archs: list[Architecture], Y: Tensor) -> None:
        """Fit the model on validated inputs.

        Args:
            archs: ``n >= 1`` valid architectures of :attr:`space`.
            Y: An ``n x m``-dim float64 tensor of finite targets, already transformed.
        """

    @abstractmethod
    def _predict(self, archs: list[Architecture]) -> tuple[Tensor, Tensor]:
        """Predict on validated inputs, in the transformed (model) space.

        Args:
            archs: ``n >= 1`` valid architectures of :attr:`space`.

        Returns:
            The ``n x m``-dim float64 mean and variance (variance > 0).
        """

    @abstractmethod
    def get_params(self) -> dict[str, Any]:
        """The constructor arguments (except ``space``) as a JSON-like dict."""

    def _model_state(self) -> dict[str, Any]:
        """Subclass state of a fitted model (tensors, numbers, strings, lists, dicts only).

        The default saves nothing beyond the training data that :meth:`state_dict` always holds;
        :meth:`_load_model_state` then refits on it (identical predictions for a seeded surrogate).
        Override both to restore without refitting.
        """
        return {}

    def _load_model_state(self, state: dict[str, Any], archs: list[Architecture], Y: Tensor) -> None:
        """Restore what :meth:`_model_state` saved; ``Y`` is the transformed ``n x m`` training targets.

        The default refits on the saved training data.
        """
        self._fit(archs, Y)

    # -- public API ---------------------------------------------------------------------------
    @property
    def target_transform(self) -> str | None:
        """The name of the target transform: ``"copula"``, ``"standardize"`` or ``None``."""
        return self._target_transform_name

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`load_state_dict` of a fitted state) has run."""
        return self.train_Y_ is not None

    @property
    def num_outputs(self) -> int:
        """``m``, the number of outputs of the fitted model.

        Raises:
            NotFittedError: Before :meth:`fit`.
        """
        self._check_fitted("num_outputs")
        assert self.train_Y_ is not None
        return int(self.train_Y_.shape[-1])

    def fit(self, archs: Sequence[Architecture], Y: Any) -> Self:
        """Fit the surrogate to evaluated architectures (refitting from scratch every time).

        Args:
            archs: ``n >= 1`` architectures of :attr:`space` (duplicates allowed).
            Y: Their targets, an ``n x m`` array-like or tensor of finite numbers (a 1-D ``n``
                array is read as ``n x 1``). Larger is not assumed better: a surrogate models
                values, whatever their direction.

        Returns:
            ``self``, fitted.

        Raises:
            InputError: If ``archs`` is empty or holds non-architectures, if the lengths differ,
                if ``Y`` is not numeric, has more than 2 dimensions or holds NaN/inf.
            InvalidArchitectureError: If an architecture is not a member of :attr:`space`.
        """
        archs_l = self._validate_archs(archs, allow_empty=False)
        Y_t = _validate_targets(Y, len(archs_l))
        with torch_threads(self.num_threads):
            return self._fit_checked(archs_l, Y_t)

    def predict(self, archs: Sequence[Architecture]) -> tuple[Tensor, Tensor]:
        """Predictive mean and variance of each output.

        Args:
            archs: ``n`` architectures of :attr:`space` (``n = 0`` gives empty results).

        Returns:
            A pair ``(mean, variance)`` of ``n x m``-dim float64 tensors, in the units described
            in the class docstring (normal scores for ``target_transform="copula"``).

        Raises:
            NotFittedError: Before :meth:`fit`.
            InputError: If ``archs`` holds non-architectures.
            InvalidArchitectureError: If an architecture is not a member of :attr:`space`.
        """
        self._check_fitted("predict")
        archs_l = self._validate_archs(archs, allow_empty=True)
        with torch_threads(self.num_threads):
            return self._predict_checked(archs_l)

    def transform_targets(self, Y: Any) -> Tensor:
        """Put values in the units of :meth:`predict` (the fitted transform, undone where exact).

        For ``target_transform="copula"`` these are the normal scores of the fitted empirical
        CDF (e.g. the best training value maps to the score it was fitted with); otherwise the
        units of ``Y``, so ``Y`` comes back unchanged (as a tensor).

        Args:
            Y: An ``n x m`` (or ``n``, read as ``n x 1``) array-like of finite values.

        Returns:
            An ``n x m``-dim float64 tensor.

        Raises:
            NotFittedError: Before :meth:`fit`.
            InputError: If ``Y`` is malformed or does not have :attr:`num_outputs` columns.
        """
        self._check_fitted("transform_targets")
        Y_t = _validate_targets(Y, None)
        if Y_t.shape[-1] != self.num_outputs:
            raise InputError(
                f"Expected Y with {self.num_outputs} column(s) (the surrogate was fitted on m={self.num_outputs} "
                f"outputs), got shape {tuple(Y_t.shape)}."
            )
        if isinstance(self._output_transform(), CopulaTransform):
            return self._output_transform()(Y_t)[0]  # type: ignore[misc]
        return Y_t

    def as_botorch_model(self, pool: Sequence[Architecture], noisy: int = 0, relaxed: bool = False) -> PoolModel:
        """A BoTorch ``Model`` over a fixed candidate pool, for any BoTorch acquisition function.

        Its inputs ``X`` are ``b x q x 1`` tensors of pool indices (as floats); use
        ``model.choices`` (``N x 1``) as the ``choices`` of ``botorch.optim.optimize_acqf_discrete``.
        Its posterior is in the units of :meth:`predict`: a joint ``GPyTorchPosterior`` for GPs,
        an ``EnsemblePosterior`` (``b x s x q x m``) for deep ensembles, otherwise a Gaussian with
        diagonal covariance built from :meth:`predict`.

        Args:
            pool: ``N >= 1`` architectures of :attr:`space`.
            noisy: The first ``noisy`` pool members are scored as new measurements: their
                posterior includes the observation noise (for GPs, which model it), as with
                BoTorch's ``observation_noise=True`` but for them alone. ``0``: the latent
                function everywhere.
            relaxed: Answer a non-integral input with the nearest pool member (inputs clamped
                to the pool) instead of raising; see :class:`~agnet_bo.surrogates.PoolModel`.

        Returns:
            A :class:`~agnet_bo.surrogates.PoolModel`; predictions on the pool are computed once, here.

        Raises:
            NotFittedError: Before :meth:`fit`.
            InputError / InvalidArchitectureError: If the pool is empty or invalid.

        Example:
            >>> import warnings
            >>> from botorch.acquisition import qUpperConfidenceBound
            >>> from gpytorch.utils.warnings import NumericalWarning
            >>> from botorch.optim import optimize_acqf_discrete
            >>> from agnet_bo.spaces import NB201Space
            >>> from agnet_bo.surrogates import GPSurrogate
            >>> space = NB201Space()
            >>> archs = space.sample(24, seed=0)
            >>> y = [a.ops.count("nor_conv_3x3") + 0.1 * a.ops.count("skip_connect") for a in archs]
            >>> gp = GPSurrogate(space, seed=0).fit(archs, y)
            >>> model = gp.as_botorch_model(space.sample(100, seed=1))
            >>> acq = qUpperConfidenceBound(model, beta=4.0)
            >>> with warnings.catch_warnings():  # pool cells with equal features: singular q x q covariances
            ...     warnings.simplefilter("ignore", NumericalWarning)
            ...     X, _ = optimize_acqf_discrete(acq, q=4, choices=model.choices)
            >>> X.shape, len(set(X.squeeze(-1).tolist()))
            (torch.Size([4, 1]), 4)
        """
        self._check_fitted("as_botorch_model")
        archs_l = self._validate_archs(pool, allow_empty=False, name="pool")
        with torch_threads(self.num_threads):
            return PoolModel(self, archs_l, noisy=noisy, relaxed=relaxed)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to restore the fitted surrogate without refitting.

        Holds tensors, numbers, strings, lists and dicts only, so ``torch.save`` /
        ``torch.load(path, weights_only=True)`` round-trip it; the training architectures and
        targets are included.

        Returns:
            A dict with ``"version"``, ``"class"``, ``"params"``, ``"fitted"`` and, when fitted,
            ``"train_archs"``, ``"train_Y"``, ``"target_transform"`` and ``"model"``.
        """
        state: dict[str, Any] = {
            "version": STATE_VERSION,
            "class": type(self).__name__,
            "params": self.get_params(),
            "fitted": self.is_fitted,
        }
        if self.is_fitted:
            assert self.train_archs_ is not None and self.train_Y_ is not None
            tf = self.target_transform_
            state["train_archs"] = [a.to_dict() for a in self.train_archs_]
            state["train_Y"] = self.train_Y_.clone()
            state["target_transform"] = None if tf is None else {k: v.clone() for k, v in tf.state_dict().items()}
            state["model"] = self._model_state()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> Self:
        """Restore a state from :meth:`state_dict` of a surrogate built with the same arguments.

        After loading, :meth:`predict` returns what the saved surrogate predicted.

        Args:
            state: The dict returned by :meth:`state_dict` (possibly via ``torch.save`` / ``torch.load``).

        Returns:
            ``self``.

        Raises:
            InputError: If the state is malformed, of another class or version, or was saved
                from a surrogate with different parameters (``seed`` and ``num_threads`` may differ).
        """
        if not isinstance(state, dict) or not {"version", "class", "params", "fitted"} <= set(state):
            raise InputError(
                "Expected a dict from Surrogate.state_dict() with keys 'version', 'class', 'params', 'fitted'; "
                f"got {type(state).__name__} with keys {sorted(state) if isinstance(state, dict) else '-'}."
            )
        if state["version"] != STATE_VERSION:
            raise InputError(f"Unsupported surrogate state version {state['version']!r}; expected {STATE_VERSION}.")
        if state["class"] != type(self).__name__:
            raise InputError(
                f"This state was saved from a {state['class']}, not a {type(self).__name__}. "
                f"Load it into a {state['class']} built with the same arguments."
            )
        mine = _structural(self.get_params())
        theirs = _structural(dict(state["params"]))
        if mine != theirs:
            diff = sorted(k for k in set(mine) | set(theirs) if mine.get(k, "<missing>") != theirs.get(k, "<missing>"))
            raise InputError(
                f"The state was saved from {state['class']} with different parameters: "
                + ", ".join(f"{k}={theirs.get(k, '<missing>')!r} (here {mine.get(k, '<missing>')!r})" for k in diff)
                + ". Construct the surrogate with the saved parameters (state['params'])."
            )
        if not state["fitted"]:
            self.target_transform_ = None
            self.train_archs_ = None
            self.train_Y_ = None
            return self
        try:
            archs = [Architecture.from_dict(d) for d in state["train_archs"]]
            Y = torch.as_tensor(state["train_Y"], dtype=torch.float64)
        except (KeyError, TypeError) as exc:
            raise InputError(f"Malformed surrogate state: {exc!r}.") from exc
        tf = make_target_transform(self._target_transform_name, int(Y.shape[-1]))
        if tf is not None:
            if isinstance(tf, CopulaTransform):  # its buffer's size depends on n
                tf.sorted_targets = torch.zeros_like(state["target_transform"]["sorted_targets"])
            tf = tf.to(torch.float64)  # fitted buffers are float64; a fresh transform's are float32
            try:
                tf.load_state_dict(state["target_transform"])
            except (RuntimeError, KeyError, TypeError) as exc:
                raise InputError(f"Malformed target-transform state: {exc}") from exc
            tf.eval()
        self.target_transform_ = tf
        Y_model = Y if tf is None else tf(Y)[0]
        with torch_threads(self.num_threads):
            self._load_model_state(state["model"], archs, Y_model)
        self.train_archs_ = archs
        self.train_Y_ = Y
        return self

    # -- the pool posterior protocol (used by PoolModel); override for joint posteriors ------------
    def pool_handle(self, pool: list[Architecture]) -> Any:
        """Precompute what :meth:`pool_posterior` needs for a validated pool of ``N`` architectures.

        Part of the pool posterior protocol that :class:`~agnet_bo.surrogates.PoolModel` (and
        :class:`~agnet_bo.surrogates.EnsembleSurrogate`) call: ``pool_handle`` once per pool, then
        :meth:`pool_posterior` / :meth:`pool_moments` for many index batches. Override all three
        together when the surrogate has a joint posterior (a GP); the default is the independent
        Gaussian of :meth:`predict`, whose predictions the handle holds.
        """
        return self._predict_checked(pool)

    def pool_posterior(self, handle: Any, idx: Tensor, observation_noise: bool | Tensor = False) -> Posterior:
        """The posterior (in prediction units) of the pool members ``idx`` (a ``batch x q`` long tensor).

        ``observation_noise`` is a bool or a ``batch x q`` bool mask of the points whose
        observation noise to add (surrogates without a noise model ignore it). The default is an
        independent Gaussian per point and output from :meth:`predict`.
        """
        mean, var = handle
        return gaussian_posterior(mean[idx], torch.diag_embed(var[idx].transpose(-1, -2)))

    def pool_moments(self, handle: Any, idx: Tensor, observation_noise: bool | Tensor = False) -> tuple[Tensor, Tensor]:
        """Joint mean (``batch x q x m``) and covariance (``batch x m x q x q``) of pool members
        ``idx``, with ``observation_noise`` as for :meth:`pool_posterior`."""
        return posterior_moments(self.pool_posterior(handle, idx, observation_noise))

    def pool_condition(self, handle: Any, idx: list[int]) -> Any:
        """The handle of the pool posterior conditioned on measurements of the pool members
        ``idx`` at their posterior means (the "kriging believer"), or ``None`` when the
        surrogate cannot condition (the default).

        How a pick takes many pending trials into account cheaply
        (:data:`agnet_bo.acquisition.MAX_JOINT`): for a Gaussian posterior the believed values
        leave the means as they are and shrink the covariance exactly as real measurements
        would (GP-BUCB, Desautels et al. 2014). Override with :meth:`pool_handle`.
        """
        return None

    # -- internals ----------------------------------------------------------------------------
    def _fit_checked(self, archs: list[Architecture], Y: Tensor) -> Self:
        tf = make_target_transform(self._target_transform_name, int(Y.shape[-1]))
        if tf is not None:
            tf.train()
            Y_model = tf(Y)[0]
            tf.eval()
        else:
            Y_model = Y
        self._fit(archs, Y_model.detach().clone())
        self.target_transform_ = tf
        self.train_archs_ = list(archs)
        self.train_Y_ = Y.clone()
        return self

    def _predict_checked(self, archs: list[Architecture]) -> tuple[Tensor, Tensor]:
        if not archs:
            empty = torch.zeros(0, self.num_outputs, dtype=torch.float64)
            return empty, empty.clone()
        mean, var = self._predict(archs)
        return self._to_output_units(mean.to(torch.float64), var.to(torch.float64))

    def _output_transform(self) -> OutcomeTransform | None:
        """The fitted transform whose units the predictions are in (``None``: units of ``Y``)."""
        return self.target_transform_

    def _to_output_units(self, mean: Tensor, var: Tensor) -> tuple[Tensor, Tensor]:
        tf = self.target_transform_
        if isinstance(tf, Standardize):
            return tf.untransform(mean, var)  # type: ignore[return-value]
        return mean, var

    def _check_fitted(self, what: str) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet, so it cannot {what}. "
                "Call fit(archs, Y) (or load_state_dict of a fitted state) first."
            )

    def _validate_archs(self, archs: Any, *, allow_empty: bool, name: str = "archs") -> list[Architecture]:
        if isinstance(archs, Architecture):
            archs = [archs]
        if isinstance(archs, (Tensor, np.ndarray)):
            raise InputError(
                f"`{name}` must be a sequence of agnet_bo.Architecture, got a {type(archs).__name__} of shape "
                f"{tuple(archs.shape)}. Surrogates take architectures, not encodings: pass the Architecture objects."
            )
        if isinstance(archs, (str, bytes, dict)) or not isinstance(archs, Iterable):
            raise InputError(
                f"`{name}` must be a sequence of agnet_bo.Architecture, got {type(archs).__name__} {archs!r:.80}."
            )
        out = list(archs)
        if not out and not allow_empty:
            raise InputError(
                f"`{name}` is empty; at least one architecture is needed. Evaluate some architectures first "
                "(e.g. space.sample(n, seed=...)) and pass them with their targets."
            )
        for i, a in enumerate(out):
            if not isinstance(a, Architecture):
                raise InputError(
                    f"`{name}[{i}]` must be an agnet_bo.Architecture, got {type(a).__name__} {a!r:.80}. "
                    "Build architectures with the space's helpers (e.g. NB201Space().from_string)."
                )
            try:
                self.space.validate(a)
            except InvalidArchitectureError as exc:
                raise InvalidArchitectureError(
                    f"`{name}[{i}]` is not a member of {self.space!r}: {exc} "
                    "Pass only architectures of the space the surrogate was built with."
                ) from exc
        return out

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({self.space!r}, {params})"


def _structural(params: Any) -> Any:
    """``params`` without ``"seed"`` and ``"num_threads"`` entries, recursively.

    Those do not change a fitted model (a seed only matters for the next fit).
    """
    if isinstance(params, dict):
        return {k: _structural(v) for k, v in params.items() if k not in ("seed", "num_threads")}
    if isinstance(params, (list, tuple)):
        return [_structural(v) for v in params]
    return params


def _validate_targets(Y: Any, n: int | None) -> Tensor:
    """``Y`` as an ``n x m`` float64 tensor of finite values, or an InputError saying what is wrong."""
    if isinstance(Y, Tensor):
        arr = Y.detach().cpu()
        if arr.is_complex() or arr.dtype == torch.bool:
            raise InputError(f"Y must hold real numbers, got a tensor of dtype {arr.dtype}.")
        Y_t = arr.to(torch.float64)
    else:
        try:
            a = np.asarray(Y)
        except Exception as exc:  # ragged nested lists
            raise InputError(f"Y must be an n x m array of numbers; could not read it as an array: {exc}") from exc
        if a.dtype == object or a.dtype.kind not in "iuf":
            raise InputError(
                f"Y must be an n x m array of real numbers, got dtype {a.dtype} "
                f"({type(Y).__name__}). Convert the values to float (and drop failed evaluations) first."
            )
        Y_t = torch.as_tensor(a.astype(np.float64))
    if Y_t.dim() == 1:
        Y_t = Y_t.unsqueeze(-1)
    if Y_t.dim() != 2:
        raise InputError(
            f"Y must be n x m (one row per architecture, one column per objective), got shape {tuple(Y_t.shape)}. "
            "Reshape it, e.g. Y.reshape(n, m)."
        )
    if n is not None and Y_t.shape[0] != n:
        raise InputError(
            f"Got {n} architecture(s) but {Y_t.shape[0]} row(s) of Y; expected one row of Y per architecture."
        )
    if Y_t.shape[-1] == 0:
        raise InputError(f"Y has no columns (shape {tuple(Y_t.shape)}); expected at least one objective.")
    bad = ~torch.isfinite(Y_t)
    if bad.any():
        rows, cols = torch.nonzero(bad, as_tuple=True)
        raise InputError(
            f"Y must be finite, but it has {int(bad.sum())} NaN/inf value(s), first at row {int(rows[0])}, "
            f"column {int(cols[0])} ({Y_t[rows[0], cols[0]].item()}). Failed evaluations are not data for a "
            "surrogate: drop those rows (the Optimizer marks such trials FAIL)."
        )
    return Y_t.contiguous()
