"""BoTorch acquisition functions on every surrogate, through PoolModel."""

import numpy as np
import pytest
import torch
from botorch.acquisition import qLogExpectedImprovement, qUpperConfidenceBound
from botorch.acquisition.objective import ScalarizedPosteriorTransform
from botorch.optim import optimize_acqf_discrete
from botorch.posteriors import GPyTorchPosterior
from botorch.posteriors.ensemble import EnsemblePosterior
from botorch.sampling import SobolQMCNormalSampler
from botorch.sampling.index_sampler import IndexSampler
from gpytorch.distributions import MultivariateNormal

from agnet_bo.exceptions import InputError
from agnet_bo.spaces import NB201Space
from agnet_bo.surrogates import (
    EnsembleSurrogate,
    GNNSurrogate,
    GPSurrogate,
    PoolModel,
)
from agnet_bo.surrogates.adapter import gaussian_posterior, posterior_moments

SURROGATES = {
    "gp-wl": lambda space: GPSurrogate(space, kernel="wl", seed=0),
    "gp-hamming": lambda space: GPSurrogate(space, kernel="hamming", target_transform="standardize", seed=0),
    "gnn": lambda space: GNNSurrogate(space, n_members=3, steps=60, seed=0),
    "ensemble": lambda space: EnsembleSurrogate(
        [GPSurrogate(space, seed=1), GNNSurrogate(space, n_members=2, steps=60, seed=2)]
    ),
}


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def data(space):
    archs = space.sample(32, seed=0)
    y = np.array([a.ops.count("nor_conv_3x3") + 0.3 * a.ops.count("skip_connect") for a in archs])
    return archs, y


@pytest.fixture(scope="module")
def pool(space):
    return space.sample(60, seed=1)


@pytest.mark.parametrize("name", list(SURROGATES))
def test_botorch_acquisitions_select_from_a_pool(name, space, data, pool):
    archs, y = data
    surrogate = SURROGATES[name](space).fit(archs, y)
    model = surrogate.as_botorch_model(pool)
    post = model.posterior(model.choices[:4].unsqueeze(0))
    sampler = (
        IndexSampler(torch.Size([64]), seed=0)
        if isinstance(post, EnsemblePosterior)
        else SobolQMCNormalSampler(torch.Size([64]), seed=0)
    )
    best_f = surrogate.transform_targets(y).max()
    for acq in (
        qLogExpectedImprovement(model, best_f=best_f, sampler=sampler),
        qUpperConfidenceBound(model, beta=4.0, sampler=sampler),
    ):
        scores = acq(model.choices.unsqueeze(-2))  # every pool member on its own: N x 1 x 1 -> N
        assert scores.shape == (len(pool),) and torch.isfinite(scores).all()
        X, values = optimize_acqf_discrete(acq, q=4, choices=model.choices)
        idx = X.squeeze(-1).long().tolist()
        assert X.shape == (4, 1) and values.shape == (4,)
        assert len(set(idx)) == 4 and all(0 <= i < len(pool) for i in idx)
        assert model.architectures(X) == [pool[i] for i in idx]
    # the greedy first pick of qUCB is the pool member with the best single-point score
    ucb = qUpperConfidenceBound(model, beta=4.0, sampler=sampler)
    first = optimize_acqf_discrete(ucb, q=1, choices=model.choices)[0]
    assert int(first.item()) == int(ucb(model.choices.unsqueeze(-2)).argmax())


def test_pool_model_basics(space, data, pool):
    model = GPSurrogate(space, seed=0).fit(*data).as_botorch_model(pool)
    assert isinstance(model, PoolModel) and model.num_outputs == 1 and model.batch_shape == torch.Size([])
    assert torch.equal(model.choices, torch.arange(60, dtype=torch.float64).unsqueeze(-1))
    assert model.pool == pool and repr(model) == "PoolModel(GPSurrogate, N=60, m=1)"
    assert model.posterior(torch.tensor([[3.0]])).mean.shape == (1, 1)  # q x 1 without a batch
    assert model.posterior(torch.tensor([[[3]]])).mean.shape == (1, 1, 1)  # integer indices work too


@pytest.mark.parametrize(
    ("X", "message"),
    [
        (torch.tensor([[0.5]]), "integral"),
        (torch.tensor([[60.0]]), r"out of range: got values in \[60, 60\] for a pool of 60"),
        (torch.tensor([[-1.0]]), "out of range"),
        (torch.zeros(2, 3), "b x q x 1"),
        ([[0.0]], "b x q x 1"),
    ],
)
def test_pool_index_errors(space, data, pool, X, message):
    model = GPSurrogate(space, seed=0).fit(*data).as_botorch_model(pool)
    with pytest.raises(InputError, match=message):
        model.posterior(X)


def test_output_indices_and_posterior_transform(space, data, pool):
    archs, y = data
    Y = np.stack([y, -y + np.arange(len(y)) % 3], axis=1)
    for s in (GPSurrogate(space, seed=0), GNNSurrogate(space, n_members=2, steps=30, seed=0)):
        model = s.fit(archs, Y).as_botorch_model(pool)
        X = model.choices[:6].reshape(2, 3, 1)
        full = model.posterior(X)
        second = model.posterior(X, output_indices=[1])
        assert second.mean.shape == (2, 3, 1)
        torch.testing.assert_close(second.mean, full.mean[..., 1:])
        with pytest.raises(InputError, match="output_indices"):
            model.posterior(X, output_indices=[2])
        if isinstance(full, GPyTorchPosterior):
            weights = torch.tensor([1.0, 0.5], dtype=torch.float64)
            scalar = model.posterior(X, posterior_transform=ScalarizedPosteriorTransform(weights))
            torch.testing.assert_close(scalar.mean.squeeze(-1), full.mean[..., 0] + 0.5 * full.mean[..., 1])


def test_moments_round_trip():
    mean = torch.randn(2, 3, 2, dtype=torch.float64)
    A = torch.randn(2, 2, 3, 3, dtype=torch.float64)
    cov = A @ A.transpose(-1, -2) + torch.eye(3, dtype=torch.float64)
    m2, c2 = posterior_moments(gaussian_posterior(mean, cov))
    torch.testing.assert_close(m2, mean)
    torch.testing.assert_close(c2, cov)
    _m1, c1 = posterior_moments(gaussian_posterior(mean[..., :1], cov[:, :1]))
    torch.testing.assert_close(c1, cov[:, :1])
    values = torch.randn(2, 5, 3, 2, dtype=torch.float64)  # b x s x q x m
    em, ec = posterior_moments(EnsemblePosterior(values))
    torch.testing.assert_close(em, values.mean(1))
    torch.testing.assert_close(torch.diagonal(ec, dim1=-2, dim2=-1), values.var(1).transpose(-1, -2))
    with pytest.raises(TypeError, match="GPyTorchPosterior or EnsemblePosterior"):
        posterior_moments(object())  # type: ignore[arg-type]
    assert isinstance(gaussian_posterior(mean[..., :1], cov[:, :1]).distribution, MultivariateNormal)
