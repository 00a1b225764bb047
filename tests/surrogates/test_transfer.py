"""Tests of TransferSurrogate: any surrogate weighted with models of prior tasks (RGPE)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import agnet_bo as ab
from agnet_bo.exceptions import InputError
from agnet_bo.surrogates import GPSurrogate, MLPSurrogate, TransferSurrogate
from agnet_bo.surrogates.transfer import ranking_losses
from agnet_bo.testing import SurrogateTests

SPACE = ab.spaces.NB201Space()


def f(a):
    return a.ops.count("nor_conv_3x3") + 0.5 * a.ops.count("nor_conv_1x1") + 0.1 * a.ops.count("skip_connect")


def _prior(archs, values, name="earlier"):
    return ab.Prior(space=SPACE).add(archs, values, name=name)


PRIOR_ARCHS = SPACE.sample(60, seed=11)


class TestTransferConformance(SurrogateTests):
    """The surrogate contract every built-in surrogate meets, with a prior of a related task."""

    def make_surrogate(self, space):
        prior = _prior(PRIOR_ARCHS, [f(a) for a in PRIOR_ARCHS])
        return TransferSurrogate(GPSurrogate(space, kernel="hamming", seed=0), prior)


def test_ranking_losses_count_misordered_pairs():
    y = np.array([1.0, 2.0, 3.0])
    F = np.array([[1, 2, 3], [3, 2, 1], [1, 1, 3]], dtype=float)
    assert list(ranking_losses(F, y)) == [0.0, 3.0, 0.5]


def test_weights_sum_to_one_and_follow_how_well_each_task_ranks_the_new_results():
    archs = SPACE.sample(24, seed=0)
    y = [f(a) for a in archs]
    prior = _prior(PRIOR_ARCHS, [f(a) for a in PRIOR_ARCHS], "same")
    prior.add(PRIOR_ARCHS, [-f(a) for a in PRIOR_ARCHS], name="negated")
    prior.add(PRIOR_ARCHS, list(np.random.default_rng(0).normal(size=60)), name="noise")
    ts = TransferSurrogate(GPSurrogate(SPACE, kernel="hamming", seed=0), prior).fit(archs, y)
    w = ts.weights_
    assert set(w) == {"target", "same", "negated", "noise"}
    assert sum(v[0] for v in w.values()) == pytest.approx(1.0)
    assert w["negated"][0] == 0.0 and w["noise"][0] == 0.0  # the dilution guard
    assert w["same"][0] > 0.5


def test_predictions_and_the_pool_posterior_agree():
    archs = SPACE.sample(20, seed=1)
    ts = TransferSurrogate(GPSurrogate(SPACE, seed=0), _prior(PRIOR_ARCHS, [f(a) for a in PRIOR_ARCHS])).fit(archs, [f(a) for a in archs])
    pool = SPACE.sample(12, seed=2)
    mean, var = ts.predict(pool)
    handle = ts.pool_handle(pool)
    idx = torch.arange(12).reshape(12, 1)
    m, c = ts.pool_moments(handle, idx)
    assert torch.allclose(m.reshape(12, 1), mean, atol=1e-6)
    assert torch.allclose(c.reshape(12, 1), var, atol=1e-6)
    _, joint_c = ts.pool_moments(handle, torch.arange(12).reshape(1, 12))
    assert joint_c.shape == (1, 1, 12, 12) and torch.allclose(torch.diagonal(joint_c[0, 0]), var[:, 0], atol=1e-6)
    cond = ts.pool_condition(handle, [0, 1])
    _, c2 = ts.pool_moments(cond, torch.arange(12).reshape(1, 12))
    assert (torch.diagonal(c2[0, 0])[:2] < torch.diagonal(joint_c[0, 0])[:2]).all()


def test_a_surrogate_without_a_closed_form_is_judged_by_cross_validation():
    archs = SPACE.sample(20, seed=3)
    base = MLPSurrogate(SPACE, n_members=2, steps=50, seed=0)
    ts = TransferSurrogate(base, _prior(PRIOR_ARCHS, [f(a) for a in PRIOR_ARCHS])).fit(archs, [f(a) for a in archs])
    assert sum(v[0] for v in ts.weights_.values()) == pytest.approx(1.0)
    assert ts.predict(archs[:3])[0].shape == (3, 1)


def test_bad_arguments_are_refused():
    prior = _prior(PRIOR_ARCHS[:5], [1, 2, 3, 4, 5])
    with pytest.raises(InputError, match="`base` must be a Surrogate"):
        TransferSurrogate("gp", prior)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="`prior` must be an agnet_bo.Prior"):
        TransferSurrogate(GPSurrogate(SPACE), [1, 2])
    lat = ab.Prior(space=SPACE).add(PRIOR_ARCHS[:5], {"lat": [1, 2, 3, 4, 5], "acc": [1, 2, 3, 4, 5]}, objectives={"lat": "minimize", "acc": "maximize"})
    ts = TransferSurrogate(GPSurrogate(SPACE), lat, metrics=["energy"], objectives={"energy": "minimize", "x": "maximize"})
    with pytest.raises(InputError, match="No prior task has a value"):
        ts.fit(PRIOR_ARCHS[5:10], [1, 2, 3, 4, 5])
