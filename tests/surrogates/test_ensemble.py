import numpy as np
import pytest
import torch

from agnet_bo.exceptions import InputError
from agnet_bo.spaces import DAGSpace, NB201Space
from agnet_bo.surrogates import EnsembleSurrogate, GNNSurrogate, GPSurrogate
from agnet_bo.testing import SurrogateTests


class TestEnsembleOfGPs(SurrogateTests):
    def make_surrogate(self, space):
        return EnsembleSurrogate(
            [GPSurrogate(space, kernel="wl", seed=0), GPSurrogate(space, kernel="wl", wl_iterations=1, seed=1)]
        )


class TestEnsembleOfGPAndGNN(SurrogateTests):
    def make_surrogate(self, space):
        return EnsembleSurrogate(
            [
                GPSurrogate(space, target_transform="standardize", seed=0),
                GNNSurrogate(space, n_members=2, steps=40, target_transform="standardize", seed=1),
            ]
        )


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def data(space):
    archs = space.sample(24, seed=0)
    return archs, np.array([a.ops.count("nor_conv_3x3") + 0.2 * a.ops.count("none") for a in archs])


def test_law_of_total_variance(space, data):
    archs, y = data
    members = [GPSurrogate(space, kernel="wl", seed=0), GNNSurrogate(space, n_members=2, steps=40, seed=1)]
    ens = EnsembleSurrogate(members).fit(archs, y)
    test = space.sample(7, seed=5)
    (m1, v1), (m2, v2) = (s.predict(test) for s in members)  # members were refitted by the ensemble
    mean, var = ens.predict(test)
    torch.testing.assert_close(mean, (m1 + m2) / 2)
    torch.testing.assert_close(var, (v1 + v2) / 2 + ((m1 - m2) / 2) ** 2)


def test_joint_posterior_matches_predict_and_keeps_gp_correlations(space, data):
    archs, y = data
    ens = EnsembleSurrogate([GPSurrogate(space, kernel="wl", seed=0), GPSurrogate(space, kernel="hamming", seed=1)])
    ens.fit(archs, y)
    model = ens.as_botorch_model(archs[:8])
    post = model.posterior(torch.arange(8.0).reshape(1, 8, 1))
    mean, var = ens.predict(archs[:8])
    torch.testing.assert_close(post.mean[0], mean)
    torch.testing.assert_close(post.variance[0], var)
    cov = post.distribution.covariance_matrix[0]
    assert (cov - torch.diag(torch.diag(cov))).abs().max() > 1e-6


def test_target_transform_and_units_come_from_members(space, data):
    archs, y = data
    ens = EnsembleSurrogate([GPSurrogate(space, seed=0), GPSurrogate(space, kernel="hamming", seed=0)]).fit(archs, y)
    assert ens.target_transform == "copula"
    torch.testing.assert_close(ens.transform_targets(y), ens.surrogates[0].transform_targets(y))


def test_state_contains_every_member(space, data):
    ens = EnsembleSurrogate([GPSurrogate(space, seed=0), GPSurrogate(space, kernel="hamming", seed=0)]).fit(*data)
    state = ens.state_dict()
    assert [m["class"] for m in state["model"]["members"]] == ["GPSurrogate", "GPSurrogate"]
    assert state["params"]["surrogates"][1]["kernel"] == "hamming"
    other = EnsembleSurrogate([GPSurrogate(space), GPSurrogate(space, kernel="rbf")])
    with pytest.raises(InputError, match="different parameters"):
        other.load_state_dict(state)


def test_construction_errors(space):
    with pytest.raises(InputError, match="non-empty list"):
        EnsembleSurrogate([])
    with pytest.raises(InputError, match="non-empty list"):
        EnsembleSurrogate(GPSurrogate(space))  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"surrogates\[1\]` must be a Surrogate"):
        EnsembleSurrogate([GPSurrogate(space), "gnn"])  # type: ignore[list-item]
    with pytest.raises(InputError, match=r"same target_transform .*\['copula', 'standardize'\]"):
        EnsembleSurrogate([GPSurrogate(space), GPSurrogate(space, target_transform="standardize")])
    other = DAGSpace(ops=["a", "b"], num_nodes=4)
    with pytest.raises(InputError, match="same search space"):
        EnsembleSurrogate([GPSurrogate(space), GPSurrogate(other)])
    EnsembleSurrogate([GPSurrogate(space), GPSurrogate(NB201Space())])  # equal spaces are fine
