import numpy as np
import pytest
import torch
from botorch.exceptions.warnings import InputDataWarning
from botorch.models import SingleTaskGP
from botorch.posteriors import GPyTorchPosterior
from gpytorch.distributions import MultitaskMultivariateNormal

from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.spaces import NB201Space
from agnet_bo.surrogates import GP_KERNELS, GPSurrogate
from agnet_bo.testing import SurrogateTests


class TestHammingGP(SurrogateTests):
    def make_surrogate(self, space):
        return GPSurrogate(space, kernel="hamming", seed=0)


class TestWLGPStandardized(SurrogateTests):
    def make_surrogate(self, space):
        return GPSurrogate(space, kernel="wl", target_transform="standardize", seed=0)


class TestWLHammingGP(SurrogateTests):
    def make_surrogate(self, space):
        return GPSurrogate(space, kernel="wl+hamming", seed=0)


class TestSpelledWLHammingGP(SurrogateTests):
    def make_surrogate(self, space):
        return GPSurrogate(space, spelled=True, seed=0)


class TestSpelledHammingGP(SurrogateTests):
    def make_surrogate(self, space):
        return GPSurrogate(space, kernel="hamming", spelled=True, seed=0)


@pytest.fixture(scope="module")
def space():
    return NB201Space()


@pytest.fixture(scope="module")
def data(space):
    archs = space.sample(24, seed=0)
    Y = np.array([[a.ops.count("nor_conv_3x3"), a.ops.count("avg_pool_3x3")] for a in archs], dtype=float)
    return archs, Y


def test_rbf_kernel_raw_targets(space, data):
    archs, Y = data
    with pytest.warns(InputDataWarning, match="not standardized"):  # BoTorch's advice stands for raw targets
        gp = GPSurrogate(space, kernel="rbf", target_transform=None, seed=0).fit(archs, Y[:, :1])
    mean, var = gp.predict(archs[:4])
    assert mean.shape == var.shape == (4, 1) and (var > 0).all()
    assert abs(mean - torch.as_tensor(Y[:4, :1])).max() < 1.0  # raw units


def test_model_is_a_botorch_single_task_gp(space, data):
    gp = GPSurrogate(space, kernel="hamming", seed=0).fit(*data)
    assert isinstance(gp.model_, SingleTaskGP)
    assert gp.model_.train_inputs[0].shape == (2, 24, space.encoding_dim)  # m = 2 batched outputs
    assert not hasattr(gp.model_, "outcome_transform")  # the surrogate transforms the targets itself
    assert GPSurrogate(space, seed=0).kernel == "wl+hamming"


def test_joint_posterior_over_q_points(space, data):
    archs, Y = data
    gp = GPSurrogate(space, seed=0).fit(archs, Y)
    model = gp.as_botorch_model(archs[:10])  # training points: strongly correlated through the data
    post = model.posterior(torch.tensor([[[0.0], [1.0], [2.0]]]))
    assert isinstance(post, GPyTorchPosterior)
    assert isinstance(post.distribution, MultitaskMultivariateNormal)
    cov = post.distribution.covariance_matrix
    assert cov.shape == (1, 6, 6)
    off_diagonal = cov[0] - torch.diag(torch.diag(cov[0]))
    assert off_diagonal.abs().max() > 1e-6  # a joint posterior, not independent marginals
    # its marginals are predict()'s
    mean, var = gp.predict(archs[:3])
    torch.testing.assert_close(post.mean[0], mean)
    torch.testing.assert_close(post.variance[0], var)


def test_pool_posterior_is_the_gps_joint_posterior(space, data):
    """The pool's covariance is computed once and indexed; it must equal a direct posterior per batch."""
    archs, Y = data
    gp = GPSurrogate(space, seed=0).fit(archs, Y[:, :1])
    pool = space.sample(12, seed=4)
    idx = torch.tensor([[[3.0], [7.0]], [[11.0], [0.0]]])  # b = 2 batches of q = 2
    post = gp.as_botorch_model(pool).posterior(idx)
    for b, rows in enumerate(([3, 7], [11, 0])):
        direct = gp.model_.posterior(gp._features([pool[i] for i in rows]))
        torch.testing.assert_close(post.mean[b], direct.mean)
        cov = post.distribution.covariance_matrix[b]
        torch.testing.assert_close(cov, direct.distribution.covariance_matrix, atol=1e-6, rtol=1e-5)


def test_standardized_posterior_is_in_target_units(space, data):
    archs, Y = data
    gp = GPSurrogate(space, kernel="wl", target_transform="standardize", seed=0).fit(archs, Y)
    post = gp.as_botorch_model(archs).posterior(torch.arange(5.0).reshape(5, 1, 1))
    mean, var = gp.predict(archs[:5])
    torch.testing.assert_close(post.mean.squeeze(-2), mean)
    torch.testing.assert_close(post.variance.squeeze(-2), var)


def test_observation_noise_adds_variance(space, data):
    archs, Y = data
    model = GPSurrogate(space, seed=0).fit(archs, Y[:, :1]).as_botorch_model(space.sample(5, seed=3))
    X = model.choices.unsqueeze(-2)
    assert (model.posterior(X, observation_noise=True).variance > model.posterior(X).variance).all()


def test_noisy_pool_members_are_scored_as_measurements(space, data):
    """``noisy=k``: the first k pool members get the observation noise on their variance (and
    only on it: the covariances between points stay the latent ones); the others do not."""
    archs, Y = data
    gp = GPSurrogate(space, seed=0).fit(archs, Y)
    pool = space.sample(6, seed=3)
    latent, noisy = gp.as_botorch_model(pool), gp.as_botorch_model(pool, noisy=4)
    X = torch.tensor([[[1.0], [5.0], [3.0]]])
    c0, c1 = latent.posterior(X).distribution.covariance_matrix[0], noisy.posterior(X).distribution.covariance_matrix[0]
    noise = torch.diag(gp.as_botorch_model(pool).posterior(X, observation_noise=True).distribution.covariance_matrix[0]) - torch.diag(c0)
    assert (noise > 1e-4).all()
    # rows by output, then point: pool members 1, 5, 3 for each output
    noisy_rows = torch.tensor([True, False, True] * 2)
    torch.testing.assert_close(torch.diag(c1 - c0), torch.where(noisy_rows, noise, torch.zeros(())), atol=1e-7, rtol=0)
    torch.testing.assert_close(c1 - torch.diag(torch.diag(c1)), c0 - torch.diag(torch.diag(c0)))
    torch.testing.assert_close(noisy.posterior(X).mean, latent.posterior(X).mean)
    with pytest.raises(InputError, match="pool size"):
        gp.as_botorch_model(pool, noisy=7)


@pytest.mark.parametrize("kernel", ["wl+hamming", "wl", "hamming"])
def test_spelled_view_tells_apart_cells_that_compute_the_same_function(space, kernel):
    """Latency depends on every operation the hardware runs, dead ones included. The functional
    views see one cell for all spellings of a function; the spelled view's kernel sees them apart,
    and each output's marginal likelihood weighs it: an output that depends on the function alone
    keeps its predictions."""
    dead = space.from_index(0).ops[1:4]  # NB201: ops 1-3 are the edges into nodes 1 and 2
    assert len(dead) == 3
    ident = [i for i in range(space.size) if (o := space.from_index(i).ops)[4] == "skip_connect" and o[5] == o[6] == "none"]
    archs = space.sample(40, seed=0) + [space.from_index(i) for i in ident[:20]]
    cost = np.array([sum(op.startswith("nor_conv") for op in a.ops) for a in archs], dtype=float)  # as spelled
    live = np.array([float(a.ops[4] == "skip_connect") for a in archs])  # a function of what is computed
    Y = np.stack([cost, live], 1)
    test = [space.from_index(i) for i in ident[20:60]]
    truth = np.array([sum(op.startswith("nor_conv") for op in a.ops) for a in test], dtype=float)
    plain = GPSurrogate(space, kernel=kernel, seed=0).fit(archs, Y).predict(test)[0].numpy()
    spelled = GPSurrogate(space, kernel=kernel, spelled=True, seed=0).fit(archs, Y).predict(test)[0].numpy()
    assert np.ptp(plain[:, 0]) < 1e-3 < 0.5 < np.ptp(spelled[:, 0])  # twins alike / told apart
    assert np.corrcoef(spelled[:, 0], truth)[0, 1] > 0.8
    assert np.abs(spelled[:, 1] - plain[:, 1]).max() < 0.2  # the functional output is unaffected


def test_fit_leaves_global_rng_alone(space, data):
    torch.manual_seed(123)
    before = torch.random.get_rng_state()
    GPSurrogate(space, seed=5).fit(*data)
    assert torch.equal(torch.random.get_rng_state(), before)


def test_equivalent_cells_look_alike(space, data):
    """Cells differing only in nodes cut off by `none` get the same features (zero_ops)."""
    cut = "|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"  # op(0->1) dead
    other = "|none~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|none~1|nor_conv_1x1~2|"
    a, b = space.from_string(cut), space.from_string(other)
    for kernel in ("hamming", "wl"):
        gp = GPSurrogate(space, kernel=kernel, seed=0).fit(*data)
        assert torch.equal(gp._features([a]), gp._features([b])), kernel
        plain = GPSurrogate(space, kernel=kernel, zero_ops=(), seed=0).fit(*data)
        assert not torch.equal(plain._features([a]), plain._features([b])), kernel


def test_wl_vocabulary_is_part_of_the_state(space, data):
    archs, Y = data
    gp = GPSurrogate(space, kernel="wl", wl_iterations=1, seed=0).fit(archs, Y)
    state = gp.state_dict()
    assert state["model"]["wl_vocabulary"] == gp.wl_.vocabulary_
    assert state["model"]["train_X"].shape == (24, len(gp.wl_.vocabulary_))
    restored = GPSurrogate(space, kernel="wl", wl_iterations=1).load_state_dict(state)
    new = space.sample(6, seed=9)
    assert torch.equal(restored.predict(new)[0], gp.predict(new)[0])


def test_sum_kernel_sees_both_views(space, data):
    """``"wl+hamming"``: encoding columns then WL features, one kernel on each part."""
    archs, Y = data
    gp = GPSurrogate(space, kernel="wl+hamming", wl_iterations=1, seed=0).fit(archs, Y)
    d_wl = len(gp.wl_.vocabulary_)
    X = gp._features(archs[:3])
    assert X.shape == (3, space.encoding_dim + d_wl)
    ham, wl = GPSurrogate(space, kernel="hamming"), GPSurrogate(space, kernel="wl", wl_iterations=1).fit(archs, Y)
    assert torch.equal(X[:, : space.encoding_dim], ham._features(archs[:3]))
    assert torch.allclose(X[:, space.encoding_dim :], wl._features(archs[:3]))
    parts = gp.model_.covar_module.kernels
    assert [k.base_kernel.active_dims.tolist() for k in parts] == [
        list(range(space.encoding_dim)), list(range(space.encoding_dim, space.encoding_dim + d_wl))
    ]
    restored = GPSurrogate(space, kernel="wl+hamming", wl_iterations=1).load_state_dict(gp.state_dict())
    new = space.sample(6, seed=9)
    assert torch.equal(restored.predict(new)[0], gp.predict(new)[0])


def test_hyperparameter_errors(space):
    assert GP_KERNELS == ("hamming", "rbf", "wl", "wl+hamming")
    with pytest.raises(UnknownNameError, match="'hamming', 'rbf', 'wl', 'wl\\+hamming'"):
        GPSurrogate(space, kernel="matern")
    with pytest.raises(InputError, match="wl_iterations"):
        GPSurrogate(space, wl_iterations=-1)
    with pytest.raises(InputError, match="zero_ops"):
        GPSurrogate(space, zero_ops="none")
    with pytest.raises(InputError, match="`spelled` must be True or False, got 'yes'"):
        GPSurrogate(space, spelled="yes")
    with pytest.raises(InputError, match='not to "rbf"'):
        GPSurrogate(space, kernel="rbf", spelled=True)


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("batch", [(), (2,)])
def test_hamming_kernel_is_botorchs_categorical_kernel(binary, batch):
    from botorch.models.kernels import CategoricalKernel

    from agnet_bo.surrogates.gp import HammingKernel, mismatch_counts

    g = torch.Generator().manual_seed(0)
    shape = lambda n: (*batch, n, 11)  # noqa: E731
    if binary:
        x1, x2 = ((torch.rand(shape(n), generator=g) < 0.3).double() for n in (7, 5))
    else:  # integer categories and a fractional column: compared column by column
        x1, x2 = (torch.randint(0, 4, shape(n), generator=g).double() / 3 for n in (7, 5))
    counts = mismatch_counts(x1, x2)
    assert torch.equal(counts, (x1.unsqueeze(-2) != x2.unsqueeze(-3)).sum(-1).double())
    ref, fast = CategoricalKernel(batch_shape=torch.Size(batch)).double(), HammingKernel(batch_shape=torch.Size(batch)).double()
    ref.lengthscale = fast.lengthscale = 0.37
    assert fast.state_dict().keys() == ref.state_dict().keys()
    k_ref, k_fast = ref(x1, x2).to_dense(), fast(x1, x2).to_dense()
    assert k_fast.shape == k_ref.shape == (*batch, 7, 5)
    torch.testing.assert_close(k_fast, k_ref, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(fast(x1, x1, diag=True), ref(x1, x1, diag=True), rtol=1e-12, atol=1e-14)
    (g_ref,) = torch.autograd.grad(k_ref.sum(), ref.raw_lengthscale)
    (g_fast,) = torch.autograd.grad(k_fast.sum(), fast.raw_lengthscale)
    torch.testing.assert_close(g_fast, g_ref, rtol=1e-10, atol=1e-12)


def test_hamming_kernel_with_a_lengthscale_per_column_is_botorchs():
    from botorch.models.kernels import CategoricalKernel

    from agnet_bo.surrogates.gp import HammingKernel

    x = (torch.rand(6, 4, generator=torch.Generator().manual_seed(1)) < 0.5).double()
    ref, fast = CategoricalKernel(ard_num_dims=4).double(), HammingKernel(ard_num_dims=4).double()
    ref.lengthscale = fast.lengthscale = torch.tensor([[0.2, 0.5, 1.0, 3.0]], dtype=torch.float64)
    torch.testing.assert_close(fast(x, x).to_dense(), ref(x, x).to_dense())


def test_gp_uses_the_counting_kernel(space, data):
    from agnet_bo.surrogates.gp import HammingKernel

    archs, y = data
    gp = GPSurrogate(space, kernel="wl+hamming", spelled=True, seed=0).fit(archs, y)
    kinds = [type(m) for m in gp.model_.covar_module.modules()]
    assert kinds.count(HammingKernel) == 2  # the functional and the spelled view


def test_warm_start_begins_where_the_last_fit_ended(monkeypatch):
    from agnet_bo.surrogates import gp as gp_module

    space = NB201Space()
    archs = space.sample(40, seed=0)
    y = np.array([a.ops.count("nor_conv_3x3") + 0.2 * a.ops.count("skip_connect") for a in archs]).reshape(-1, 1)
    gp = GPSurrogate(space, seed=0).fit(archs[:30], y[:30])
    fitted = {k: v.detach().clone() for k, v in gp.model_.named_parameters()}
    starts = []
    real = gp_module.fit_gpytorch_mll

    def spy(mll, **kw):
        starts.append({k: v.detach().clone() for k, v in mll.model.named_parameters()})
        return real(mll, **kw)

    monkeypatch.setattr(gp_module, "fit_gpytorch_mll", spy)
    gp.fit(archs[5:35], y[5:35])  # cold: from the defaults
    assert any(not torch.equal(starts[0][k], fitted[k]) for k in fitted)
    gp.warm_start = True
    before = {k: v.detach().clone() for k, v in gp.model_.named_parameters()}
    gp.fit(archs[10:40], y[10:40])
    assert all(torch.equal(starts[1][k], before[k]) for k in before)  # warm: from the last fit
    mean, var = gp.predict(archs[:5])
    assert mean.shape == (5, 1) and bool((var > 0).all())
