import numpy as np
import pytest
import torch
from botorch.posteriors.ensemble import EnsemblePosterior

from agnet_bo.exceptions import InputError
from agnet_bo.spaces import DAGSpace, NB201Space
from agnet_bo.surrogates import GNNSurrogate
from agnet_bo.testing import SurrogateTests

SMALL = {"n_members": 3, "steps": 60}


class TestGNN(SurrogateTests):
    def make_surrogate(self, space):
        return GNNSurrogate(space, seed=0, **SMALL)


class TestGNNStandardizedOnDAGSpace(SurrogateTests):
    """Free-edge graphs of varying size, standardised targets, minibatches."""

    min_tau = 0.2

    def make_space(self):
        return DAGSpace(ops=["conv3x3", "conv1x1", "maxpool"], num_nodes=(3, 6), max_edges=8)

    def make_surrogate(self, space):
        return GNNSurrogate(space, target_transform="standardize", batch_size=16, seed=0, **SMALL)


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def data(space):
    archs = space.sample(32, seed=0)
    Y = np.array([[a.ops.count("nor_conv_3x3"), a.ops.count("skip_connect")] for a in archs], dtype=float)
    return archs, Y


def test_posterior_is_the_ensemble_of_members(space, data):
    archs, Y = data
    gnn = GNNSurrogate(space, seed=0, **SMALL).fit(archs, Y)
    model = gnn.as_botorch_model(space.sample(10, seed=1))
    post = model.posterior(model.choices[:6].reshape(2, 3, 1))
    assert isinstance(post, EnsemblePosterior)
    assert post.values.shape == (2, 3, 3, 2)  # b x s x q x m
    mean, var = gnn.predict(model.pool[:6])
    torch.testing.assert_close(post.mean.reshape(6, 2), mean, rtol=1e-5, atol=1e-6)  # float32 networks
    # predict adds the out-of-bag error variance to the members' spread
    torch.testing.assert_close(post.variance.reshape(6, 2) + gnn.noise_, var, rtol=1e-5, atol=1e-6)


def test_out_of_bag_noise(space, data):
    archs, Y = data
    boot = GNNSurrogate(space, seed=0, noise_floor=1e-4, **SMALL).fit(archs, Y)
    assert boot.noise_.shape == (2,) and (boot.noise_ > 1e-4).all()
    plain = GNNSurrogate(space, seed=0, bootstrap=False, noise_floor=1e-4, **SMALL).fit(archs, Y)
    assert torch.equal(plain.noise_, torch.full((2,), 1e-4, dtype=torch.float64))
    assert not torch.equal(boot.predict(archs)[0], plain.predict(archs)[0])


def test_seeds_change_the_members(space, data):
    archs, Y = data
    a = GNNSurrogate(space, seed=0, **SMALL).fit(archs, Y).predict(archs[:5])[0]
    b = GNNSurrogate(space, seed=1, **SMALL).fit(archs, Y).predict(archs[:5])[0]
    assert not torch.equal(a, b)


def test_fit_leaves_global_rng_alone(space, data):
    torch.manual_seed(7)
    before = torch.random.get_rng_state()
    GNNSurrogate(space, seed=0, **SMALL).fit(*data)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_equivalent_cells_get_equal_predictions(space, data):
    cut = space.from_string("|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")
    other = space.from_string("|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|")
    gnn = GNNSurrogate(space, seed=0, **SMALL).fit(*data)
    assert torch.equal(gnn.predict([cut])[0], gnn.predict([other])[0])


def test_hyperparameter_errors(space):
    for kwargs, name in [
        ({"n_members": 1}, "n_members"),
        ({"steps": 0}, "steps"),
        ({"hidden_dim": 2.5}, "hidden_dim"),
        ({"lr": 0.0}, "lr"),
        ({"weight_decay": -1.0}, "weight_decay"),
        ({"noise_floor": float("nan")}, "noise_floor"),
        ({"bootstrap": 1}, "bootstrap"),
        ({"zero_ops": [3]}, "zero_ops"),
    ]:
        with pytest.raises(InputError, match=name):
            GNNSurrogate(space, **kwargs)


def test_state_with_wrong_shape_is_rejected(space, data):
    state = GNNSurrogate(space, seed=0, **SMALL).fit(*data).state_dict()
    state["model"]["net"] = {k: v[:, :1] if v.dim() > 1 else v for k, v in state["model"]["net"].items()}
    with pytest.raises(InputError, match="do not fit"):
        GNNSurrogate(space, **SMALL).load_state_dict(state)
