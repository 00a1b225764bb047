"""Gaussian-process surrogate: BoTorch's ``SingleTaskGP`` on a fixed-length view of the architectures.

Notation: ``n`` architectures, ``d`` input features, ``m`` outputs, ``b`` t-batch, ``q`` joint points.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch
from botorch.exceptions.warnings import InputDataWarning
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.models.kernels import CategoricalKernel
from botorch.models.transforms.outcome import Standardize
from botorch.posteriors import Posterior
from gpytorch.constraints import GreaterThan
from gpytorch.kernels import RBFKernel, ScaleKernel
from gpytorch.mlls import ExactMarginalLogLikelihood
from gpytorch.utils.warnings import GPInputWarning
from torch import Tensor

from agnet_bo._validation import check_int
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError, unknown_name
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates._functional import check_zero_ops, functional_encoding
from agnet_bo.surrogates.base import Surrogate
from agnet_bo.surrogates.wl import WLFeatures

__all__ = ["GPSurrogate", "GP_KERNELS", "HammingKernel", "mismatch_counts"]

GP_KERNELS: tuple[str, ...] = ("hamming", "rbf", "wl", "wl+hamming")
"""The kernels of :class:`GPSurrogate`."""

_PREDICT_CHUNK = 256
_COUNT_CHUNK = 1 << 24  # comparisons per chunk when counting mismatches of non-binary inputs


def mismatch_counts(x1: Tensor, x2: Tensor) -> Tensor:
    """``... x n1 x n2`` counts of the columns where rows of ``x1`` (``... x n1 x d``) and ``x2``
    (``... x n2 x d``) differ, as ``x1``'s dtype; batch dimensions broadcast. Not differentiable.

    On 0/1 inputs (one-hot encodings) this is ``sum(x1) + sum(x2) - 2 x1 x2^T``, one matrix
    product, exact in floating point; otherwise the rows are compared in chunks.
    """
    with torch.no_grad():
        x1, x2 = x1.detach(), x2.detach()
        if bool(((x1 == 0) | (x1 == 1)).all()) and bool(((x2 == 0) | (x2 == 1)).all()):
            dot = x1 @ x2.transpose(-1, -2)
            return (x1.sum(-1).unsqueeze(-1) + x2.sum(-1).unsqueeze(-2) - 2 * dot).round()
        step = max(1, _COUNT_CHUNK // max(1, x2.numel()))  # rows of x1 per chunk
        parts = [(c.unsqueeze(-2) != x2.unsqueeze(-3)).sum(-1) for c in x1.split(step, dim=-2)]
        return torch.cat(parts, dim=-2).to(x1.dtype)


class HammingKernel(CategoricalKernel):
    r"""BoTorch's ``CategoricalKernel``, computed from mismatch counts when it has one lengthscale.

    The same kernel, :math:`\exp(-\frac{1}{d\ell}\sum_i [x_i \ne x'_i])`, with the same
    parameters, priors and state-dict keys, but the count of differing columns does not depend on
    the lengthscale, so it is computed once per call without gradients
    (:func:`mismatch_counts`) instead of through an ``n x n x d`` tensor in the autograd graph:
    fitting the default GP on 900 NAS-Bench-201 cells takes about 11 s instead of 65 s, on 900
    DARTS cells 16 s instead of 403 s (bench/notes/speed.md, "GP fit time"). With one lengthscale per
    column (``ard_num_dims``) or ``last_dim_is_batch`` it is BoTorch's computation. Like BoTorch's,
    not differentiable with respect to the inputs.
    """

    def forward(self, x1: Tensor, x2: Tensor, diag: bool = False, last_dim_is_batch: bool = False) -> Tensor:
        ls = self.lengthscale  # *batch x 1 x (1 or d)
        if last_dim_is_batch or ls.shape[-1] != 1:
            return super().forward(x1, x2, diag=diag, last_dim_is_batch=last_dim_is_batch)
        d = x1.shape[-1]
        if diag:
            with torch.no_grad():
                counts = (x1.detach() != x2.detach()).sum(-1).to(x1.dtype)  # ... x n
            return torch.exp(-(counts / d) / ls[..., 0])
        return torch.exp(-(mismatch_counts(x1, x2) / d) / ls)


class GPSurrogate(Surrogate):
    r"""An exact Gaussian process (BoTorch ``SingleTaskGP``), hyperparameters fitted by ``fit_gpytorch_mll``.

    Kernels:

    * ``"hamming"``: BoTorch's ``CategoricalKernel`` (as :class:`HammingKernel`, with an output scale) on the
      columns of ``space.encode`` (one-hot operations, and adjacency bits where edges vary),
      with one lengthscale: :math:`k(x, x') = \sigma^2 \exp(-\frac{1}{d\ell}\sum_i [x_i \ne x'_i])`,
      an exponentiated Hamming distance. (One lengthscale per column ranked worse and fitted
      about 30 times slower with 32 and 128 points on NAS-Bench-201.)
    * ``"rbf"``: BoTorch's default ``SingleTaskGP`` kernel (RBF with ARD and dimension-scaled
      lengthscale prior) on ``space.encode``.
    * ``"wl"``: a graph kernel. Weisfeiler-Lehman subtree label counts
      (:class:`~agnet_bo.surrogates.WLFeatures`, ``wl_iterations`` rounds), normalised to unit
      length, under an RBF kernel with one lengthscale (and an output scale):
      :math:`\sigma^2 \exp(-(1 - \cos(\phi, \phi')) / \ell^2)`, an exponentiated version of
      NASBOWL's normalised WL kernel (it ranked and calibrated better than the plain linear one
      on NAS-Bench-201). It sees which operations feed which, however the nodes are numbered.
    * ``"wl+hamming"`` (default): the sum of the two, each with its own output scale and
      lengthscale (gpytorch ``active_dims`` on the concatenated encoding and WL features), so
      the marginal likelihood decides how much each view counts. Alone, the WL kernel ranks
      random held-out cells better (bench/notes/surrogates.md), but in AG-Net searches on
      NAS-Bench-201 (tuning seeds) the sum found the optimum far more often in early rounds on
      CIFAR (95 % of seeds at 96 queries against 75 / 60 % with WL and 85 / 90 % with Hamming).

    Nodes that cannot affect the output (a ``zero_ops`` operation such as NAS-Bench-201's
    ``"none"``, or no longer on an input-to-output path) are relabelled with the zero operation
    in encodings and dropped from WL graphs, so cells that compute the same function look alike
    (unless ``spelled`` adds a view of them as they are).

    ``m > 1`` outputs are independent GPs with their own hyperparameters (a batched
    ``SingleTaskGP``). The Gaussian likelihood's noise is fitted too. The posterior of
    :meth:`as_botorch_model` is the GP's full joint posterior over the ``q`` points.

    Fitting: L-BFGS-B on the exact marginal log likelihood through ``botorch.fit.fit_gpytorch_mll``,
    from the priors' defaults, or with :attr:`warm_start` from the last fit's hyperparameters
    (2 to 10 times fewer L-BFGS steps on 300 cells, bench/round_parts.py; what rounds past
    ``max_model_trials`` do).
    Its retries start from hyperparameters sampled from the priors with torch's default
    generator, so the fit runs inside ``torch.random.fork_rng`` seeded with ``seed``: the result is
    deterministic and the caller's global random state is left untouched.

    Args:
        space: The search space.
        kernel: ``"wl+hamming"``, ``"wl"``, ``"hamming"`` or ``"rbf"``.
        wl_iterations: WL relabelling rounds for the ``"wl"`` and ``"wl+hamming"`` kernels.
        zero_ops: Operations that output zeros (``()``: look at every node as it is).
        spelled: Add a Hamming kernel (own output scale and lengthscale) on ``space.encode`` of
            the cells as spelled, dead operations included, to the functional views. Accuracy
            depends on the function a cell computes, hardware cost on every operation it runs:
            each output's marginal likelihood decides how much each view counts (on
            NAS-Bench-201, 96 cells, it raised the Kendall tau of eyeriss and fpga latency from
            0.71-0.72 to 0.96 and left accuracy's unchanged, bench/notes/multi-objective.md, "the GP sees cells as spelled"). Not with ``"rbf"``.
        target_transform: ``"copula"`` (default), ``"standardize"`` or ``None``; see :class:`Surrogate`.
        seed: Seed of the fit's random restarts.
        num_threads: Torch threads while computing (``None``: leave torch's setting alone).

    Raises:
        UnknownNameError: If ``kernel`` or ``target_transform`` is not known.
        InputError: If ``wl_iterations``, ``zero_ops`` or ``seed`` is invalid.

    Example:
        >>> from agnet_bo.spaces import NB201Space
        >>> space = NB201Space()
        >>> archs = space.sample(32, seed=0)
        >>> y = [a.ops.count("nor_conv_3x3") + 0.1 * a.ops.count("skip_connect") for a in archs]
        >>> gp = GPSurrogate(space, kernel="hamming", seed=0).fit(archs, y)
        >>> mean, var = gp.predict(space.sample(5, seed=1))
        >>> mean.shape, var.shape, bool((var > 0).all())
        (torch.Size([5, 1]), torch.Size([5, 1]), True)
    """

    config_name = "gp"

    def __init__(
        self,
        space: SearchSpace,
        *,
        kernel: str = "wl+hamming",
        wl_iterations: int = 2,
        zero_ops: tuple[str, ...] = ("none",),
        spelled: bool = False,
        target_transform: str | None = "copula",
        seed: int | None = None,
        num_threads: int | None = 1,
    ) -> None:
        super().__init__(space, target_transform=target_transform, seed=seed, num_threads=num_threads)
        if not isinstance(kernel, str) or kernel not in GP_KERNELS:
            raise unknown_name("GP kernel", kernel, GP_KERNELS)
        check_int("wl_iterations", wl_iterations, minimum=0)
        self.kernel = kernel
        self.wl_iterations = wl_iterations
        self.zero_ops = check_zero_ops(zero_ops)
        if not isinstance(spelled, (bool, np.bool_)):
            raise InputError(f"`spelled` must be True or False, got {spelled!r}.")
        if spelled and kernel == "rbf":
            raise InputError('`spelled=True` adds a Hamming kernel to "hamming", "wl" or "wl+hamming", not to "rbf".')
        self.spelled = bool(spelled)
        self.model_: SingleTaskGP | None = None
        self.wl_: WLFeatures | None = None

    def get_params(self) -> dict[str, Any]:
        return {
            "kernel": self.kernel,
            "wl_iterations": self.wl_iterations,
            "zero_ops": list(self.zero_ops),
            "spelled": self.spelled,
            "target_transform": self.target_transform,
            "seed": self.seed,
            "num_threads": self.num_threads,
        }

    # -- features and model -------------------------------------------------------------------
    def _features(self, archs: list[Architecture]) -> Tensor:
        """The ``n x d`` float64 GP inputs of ``archs``: the functional encoding's
        ``space.encoding_dim`` columns (all kernels but ``"wl"``), then the WL features (``"wl"``,
        ``"wl+hamming"``), then with ``spelled`` the encoding as spelled."""
        views = []
        if self.kernel != "wl":
            views.append(functional_encoding(self.space, archs, self.zero_ops))
        if self.kernel in ("wl", "wl+hamming"):
            assert self.wl_ is not None
            counts = self.wl_.transform(archs)
            views.append(counts / counts.norm(dim=-1, keepdim=True).clamp_min(1e-12))
        if self.spelled:
            views.append(self.space.encode(list(archs)))
        return torch.cat(views, dim=-1) if len(views) > 1 else views[0]

    def _build(self, X: Tensor, Y: Tensor) -> SingleTaskGP:
        m = Y.shape[-1]
        batch = torch.Size([m]) if m > 1 else torch.Size([])
        d_enc, d = self.space.encoding_dim, X.shape[-1]
        d_view = d - d_enc if self.spelled else d  # the columns before the spelled encoding

        def hamming(cols: list[int] | None) -> Any:
            base = HammingKernel(batch_shape=batch, active_dims=cols, lengthscale_constraint=GreaterThan(1e-6))
            return ScaleKernel(base, batch_shape=batch)

        alone = None if not self.spelled else list(range(d_view))  # a single view sees every column
        if self.kernel == "hamming":
            covar: Any = hamming(alone)
        elif self.kernel == "wl":
            covar = ScaleKernel(RBFKernel(batch_shape=batch, active_dims=alone), batch_shape=batch)
        elif self.kernel == "wl+hamming":
            wl = list(range(d_enc, d_view))
            covar = hamming(list(range(d_enc))) + ScaleKernel(RBFKernel(batch_shape=batch, active_dims=wl), batch_shape=batch)
        else:
            covar = None  # BoTorch's default RBF kernel
        if self.spelled:
            covar = covar + hamming(list(range(d_view, d)))
        with warnings.catch_warnings():
            if self.target_transform == "copula":  # normal scores: BoTorch's "not standardized" check is moot
                warnings.filterwarnings("ignore", message=".*not standardized.*", category=InputDataWarning)
            return SingleTaskGP(X, Y, covar_module=covar, outcome_transform=None)

    # -- Surrogate hooks ----------------------------------------------------------------------
    def _fit(self, archs: list[Architecture], Y: Tensor) -> None:
        if self.kernel in ("wl", "wl+hamming"):
            self.wl_ = WLFeatures(self.space, self.wl_iterations, self.zero_ops).fit(archs)
        X = self._features(archs)
        gp = self._build(X, Y)
        if self.warm_start and self.model_ is not None:  # the last fit's hyperparameters, where they fit
            last = dict(self.model_.named_parameters())
            with torch.no_grad():
                for name, param in gp.named_parameters():
                    if name in last and last[name].shape == param.shape:
                        param.copy_(last[name])
        mll = ExactMarginalLogLikelihood(gp.likelihood, gp)
        with torch.random.fork_rng(devices=[]):
            if self.seed is not None:
                torch.manual_seed(self.seed)
            fit_gpytorch_mll(mll)
        gp.eval()
        self.model_ = gp

    def _predict(self, archs: list[Architecture]) -> tuple[Tensor, Tensor]:
        assert self.model_ is not None
        X = self._features(archs)
        means, variances = [], []
        with torch.no_grad():
            # joint posteriors of chunks, keeping their marginals: far faster than n batched
            # 1-point posteriors (which broadcast the kernel over every test point) and than one
            # joint n x n posterior
            for chunk in X.split(_PREDICT_CHUNK):
                post = self.model_.posterior(chunk)
                means.append(post.mean)
                variances.append(post.variance)
        return torch.cat(means), torch.cat(variances).clamp_min(1e-12)

    def pool_handle(self, pool: list[Architecture]) -> tuple[Tensor, Tensor, Tensor]:
        """The joint posterior of the whole pool, computed once.

        Returns ``(mean, cov, noise)``: ``N x m`` means, ``m x N x N`` covariances and ``m``
        noise variances, all in output units. Scoring a q-batch is then an indexing operation,
        which makes sequential greedy batch selection cheap (one kernel evaluation per pool,
        not one per candidate batch).
        """
        assert self.model_ is not None
        gp, m = self.model_, self.num_outputs
        X = self._features(pool)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", GPInputWarning)  # the pool may hold training points
            mvn = gp(X.unsqueeze(0).expand(m, *X.shape) if m > 1 else X)
            mean = mvn.mean.reshape(m, -1).transpose(0, 1)
            cov = mvn.covariance_matrix.reshape(m, X.shape[0], X.shape[0])
            noise = gp.likelihood.noise.detach().reshape(-1).expand(m).clone()
        tf = self.target_transform_
        if isinstance(tf, Standardize):
            std = tf.stdvs.reshape(m)
            mean = mean * std + tf.means.reshape(m)
            cov = cov * (std**2).reshape(m, 1, 1)
            noise = noise * std**2
        return mean, cov, noise

    def pool_condition(self, handle: tuple[Tensor, Tensor, Tensor], idx: list[int]) -> tuple[Tensor, Tensor, Tensor]:
        """The pool's joint Gaussian conditioned on noisy measurements of ``idx`` at their means:
        the means are unchanged and ``cov - cov[:, S] (cov[S, S] + noise I)^-1 cov[S, :]``
        (``m x N x N``, one solve with ``|S|`` right-hand sides)."""
        mean, cov, noise = handle
        if not idx:
            return handle
        s = torch.as_tensor(list(idx), dtype=torch.long)
        c_s = cov[:, :, s]  # m x N x k
        c_ss = cov[:, s.unsqueeze(-1), s.unsqueeze(-2)] + torch.diag_embed(noise.reshape(-1, 1).expand(-1, len(s)))
        chol = torch.linalg.cholesky(c_ss)
        w = torch.cholesky_solve(c_s.transpose(-1, -2), chol)  # m x k x N
        return mean, cov - c_s @ w, noise

    def pool_posterior(
        self, handle: tuple[Tensor, Tensor, Tensor], idx: Tensor, observation_noise: bool | Tensor = False
    ) -> Posterior:
        from agnet_bo.surrogates.posteriors import gaussian_posterior

        mean, cov, noise = handle
        sub = cov[:, idx.unsqueeze(-1), idx.unsqueeze(-2)]  # m x batch x q x q
        sub = sub.movedim(0, -3)  # batch x m x q x q
        mask = observation_noise if isinstance(observation_noise, Tensor) else torch.full(idx.shape, bool(observation_noise))
        jitter = torch.where(mask.unsqueeze(-2), noise.reshape(-1, 1), torch.tensor(1e-8, dtype=cov.dtype))  # batch x m x q
        return gaussian_posterior(mean[idx], sub + torch.diag_embed(jitter))

    def _model_state(self) -> dict[str, Any]:
        assert self.model_ is not None
        gp = self.model_
        return {
            "train_X": self._train_X.detach().clone(),
            "train_targets": self._train_targets.clone(),
            "gp": {k: v.detach().clone() for k, v in gp.state_dict().items()},
            "wl_vocabulary": None if self.wl_ is None else list(self.wl_.vocabulary_ or []),
        }

    def _load_model_state(self, state: dict[str, Any], archs: list[Architecture], Y: Tensor) -> None:
        try:
            X = torch.as_tensor(state["train_X"], dtype=torch.float64)
            Y_model = torch.as_tensor(state["train_targets"], dtype=torch.float64)
            gp_state = state["gp"]
            vocab = state["wl_vocabulary"]
        except (KeyError, TypeError) as exc:
            raise InputError(f"Malformed GPSurrogate state: {exc!r}.") from exc
        if vocab is not None:
            self.wl_ = WLFeatures(self.space, self.wl_iterations, self.zero_ops)
            self.wl_.set_vocabulary(vocab)
        else:
            self.wl_ = None
        gp = self._build(X, Y_model)
        gp.load_state_dict(gp_state)
        gp.eval()
        self.model_ = gp

    @property
    def _train_X(self) -> Tensor:
        assert self.model_ is not None
        X = self.model_.train_inputs[0]
        return X[0] if X.dim() == 3 else X  # batched multi-output GPs replicate X per output

    @property
    def _train_targets(self) -> Tensor:
        """The ``n x m`` transformed targets the GP was fitted on."""
        assert self.model_ is not None
        t = self.model_.train_targets  # n (m = 1) or m x n
        return t.unsqueeze(-1) if t.dim() == 1 else t.transpose(-1, -2)
