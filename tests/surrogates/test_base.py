"""The Surrogate base class: boundary validation, units, state, and a user-written surrogate."""

import io

import numpy as np
import pytest
import torch

from agnet_bo import Architecture
from agnet_bo.exceptions import AgnetBOError, InputError, InvalidArchitectureError, NotFittedError, UnknownNameError
from agnet_bo.spaces import DAGSpace, NB201Space
from agnet_bo.surrogates import GPSurrogate, Surrogate
from agnet_bo.testing import SurrogateTests


class BayesianRidge(Surrogate):
    """A user-written surrogate: Bayesian linear regression on ``space.encode`` (unit prior, fixed noise)."""

    def __init__(self, space, *, noise=0.1, target_transform="copula", seed=None, num_threads=1):
        super().__init__(space, target_transform=target_transform, seed=seed, num_threads=num_threads)
        self.noise = noise

    def get_params(self):
        return {"noise": self.noise, "target_transform": self.target_transform, "seed": self.seed}

    def _fit(self, archs, Y):
        X = self.space.encode(archs)
        self.precision_ = X.T @ X / self.noise + torch.eye(X.shape[-1], dtype=X.dtype)
        self.weights_ = torch.linalg.solve(self.precision_, X.T @ Y / self.noise)

    def _predict(self, archs):
        X = self.space.encode(archs)
        var = (X * torch.linalg.solve(self.precision_, X.T).T).sum(-1, keepdim=True)
        return X @ self.weights_, var.expand(-1, self.weights_.shape[-1]).clone()

    def _model_state(self):
        return {"precision": self.precision_, "weights": self.weights_}

    def _load_model_state(self, state, archs, Y):
        self.precision_, self.weights_ = state["precision"], state["weights"]


class TestUserSurrogateConformance(SurrogateTests):
    def make_surrogate(self, space):
        return BayesianRidge(space, seed=0)


class TestUserSurrogateOnDAGSpace(SurrogateTests):
    """The suite on a space with free edges and no zero operation."""

    min_tau = 0.2

    def make_space(self):
        return DAGSpace(ops=["conv3x3", "conv1x1", "maxpool"], num_nodes=(3, 6), max_edges=8)

    def make_surrogate(self, space):
        return BayesianRidge(space, target_transform="standardize", seed=0)


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def data(space):
    archs = space.sample(20, seed=0)
    Y = np.array([[a.ops.count("nor_conv_3x3"), a.ops.count("skip_connect")] for a in archs], dtype=float)
    return archs, Y


def test_abstract_methods():
    assert Surrogate.__abstractmethods__ == {"_fit", "_predict", "get_params"}
    with pytest.raises(TypeError):
        Surrogate(NB201Space())  # type: ignore[abstract]


def test_constructor_validation(space):
    with pytest.raises(InputError, match="SearchSpace"):
        BayesianRidge("NB201")
    with pytest.raises(UnknownNameError, match="'standardize', 'copula'"):
        BayesianRidge(space, target_transform="rank")
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(InputError, match="seed"):
            BayesianRidge(space, seed=bad)


def test_not_fitted_message(space):
    s = BayesianRidge(space)
    with pytest.raises(NotFittedError, match=r"BayesianRidge is not fitted yet.*Call fit\(archs, Y\)"):
        s.predict(space.sample(2, seed=0))
    assert issubclass(NotFittedError, AgnetBOError) and issubclass(NotFittedError, RuntimeError)


@pytest.mark.parametrize(
    ("Y", "message"),
    [
        (np.zeros((19, 1)), r"Got 20 architecture\(s\) but 19 row\(s\) of Y"),
        (np.zeros((20, 1, 1)), r"Y must be n x m .* got shape \(20, 1, 1\)"),
        (np.zeros((20, 0)), "no columns"),
        (np.array(["x"] * 20), "real numbers"),
        (torch.ones(20, dtype=torch.bool), "real numbers"),
        ([[1.0], [2.0, 3.0]] + [[0.0]] * 18, "could not read it as an array"),
    ],
)
def test_target_errors(space, data, Y, message):
    with pytest.raises(InputError, match=message):
        BayesianRidge(space).fit(data[0], Y)


def test_non_finite_target_message_names_the_row(space, data):
    archs, Y = data
    Y = Y.copy()
    Y[7, 1] = np.nan
    with pytest.raises(InputError, match=r"first at row 7, column 1 \(nan\).*drop those rows"):
        BayesianRidge(space).fit(archs, Y)


def test_architecture_errors(space, data):
    archs, Y = data
    s = BayesianRidge(space)
    with pytest.raises(InputError, match="is empty"):
        s.fit([], np.zeros((0, 1)))
    with pytest.raises(InputError, match=r"`archs\[3\]` must be an agnet_bo.Architecture, got str"):
        s.fit([*archs[:3], "cell", *archs[4:]], Y)
    with pytest.raises(InputError, match="not encodings"):
        s.fit(space.encode(archs), Y)
    foreign = Architecture(["input", "conv", "output"], [[0, 1, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(InvalidArchitectureError, match=r"`archs\[0\]` is not a member of NB201Space\(\)"):
        s.fit([foreign, *archs[1:]], Y)
    s.fit(archs, Y)
    with pytest.raises(InvalidArchitectureError, match=r"`pool\[1\]`"):
        s.as_botorch_model([archs[0], foreign])


def test_one_architecture_and_refit(space, data):
    archs, Y = data
    s = BayesianRidge(space).fit(archs, Y)
    assert s.predict(archs[0])[0].shape == (1, 2)  # a single Architecture is a batch of one
    s.fit(archs, Y[:, 0])  # refit with another number of outputs
    assert s.num_outputs == 1 and s.predict(archs[:3])[0].shape == (3, 1)


def test_units_of_predictions(space, data):
    archs, Y = data
    raw = BayesianRidge(space, target_transform=None).fit(archs, Y)
    std = BayesianRidge(space, target_transform="standardize").fit(archs, Y)
    cop = BayesianRidge(space, target_transform="copula").fit(archs, Y)
    # standardisation is undone: predictions are in the units of Y, like the raw model's
    for s in (raw, std):
        assert abs(s.predict(archs)[0].mean(0) - torch.as_tensor(Y).mean(0)).max() < 0.5
        torch.testing.assert_close(s.transform_targets(Y), torch.as_tensor(Y))
    # copula predictions are normal scores; transform_targets puts Y in the same units
    z = cop.transform_targets(Y)
    assert abs(z.mean()) < 0.2 and abs(z.std() - 1) < 0.2
    assert torch.equal(z, cop.target_transform_(torch.as_tensor(Y))[0])
    with pytest.raises(InputError, match="2 column"):
        cop.transform_targets([1.0, 2.0])


def test_fit_does_not_keep_references_to_inputs(space, data):
    archs, Y = data
    Yt = torch.as_tensor(Y).clone()
    s = BayesianRidge(space).fit(list(archs), Yt)
    Yt.add_(100.0)
    assert torch.equal(s.train_Y_, torch.as_tensor(Y))


def test_state_dict_errors(space, data):
    archs, Y = data
    state = BayesianRidge(space, noise=0.1).fit(archs, Y).state_dict()
    assert state["version"] == 1 and state["class"] == "BayesianRidge" and state["fitted"]
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    restored = BayesianRidge(space, noise=0.1, seed=123).load_state_dict(torch.load(buf, weights_only=True))
    torch.testing.assert_close(restored.predict(archs)[0], BayesianRidge(space).fit(archs, Y).predict(archs)[0])
    with pytest.raises(InputError, match=r"noise=0.1 \(here 0.5\)"):
        BayesianRidge(space, noise=0.5).load_state_dict(state)
    with pytest.raises(InputError, match="saved from a BayesianRidge, not a GPSurrogate"):
        GPSurrogate(space).load_state_dict(state)
    with pytest.raises(InputError, match="version"):
        BayesianRidge(space, noise=0.1).load_state_dict({**state, "version": 99})
    with pytest.raises(InputError, match="Expected a dict"):
        BayesianRidge(space).load_state_dict([1, 2])


def test_repr(space):
    expected = "BayesianRidge(NB201Space(), noise=0.1, target_transform='copula', seed=3)"
    assert repr(BayesianRidge(space, seed=3)) == expected


def test_num_threads_is_scoped(space, data):
    seen = []

    class Recording(BayesianRidge):
        def _fit(self, archs, Y):
            seen.append(torch.get_num_threads())
            super()._fit(archs, Y)

    torch.set_num_threads(2)  # the autouse fixture restores the session's setting
    Recording(space).fit(*data)
    Recording(space, num_threads=None).fit(*data)
    assert seen == [1, 2] and torch.get_num_threads() == 2
    with pytest.raises(InputError, match="num_threads"):
        BayesianRidge(space, num_threads=0)
