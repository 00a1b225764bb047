import numpy as np
import pytest
import torch
from botorch.models.transforms.outcome import Standardize
from botorch.posteriors import GPyTorchPosterior, TransformedPosterior
from gpytorch.distributions import MultivariateNormal
from scipy.stats import norm, rankdata

from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.surrogates import TARGET_TRANSFORMS, CopulaTransform, make_target_transform


def _fit(Y):
    tf = CopulaTransform(m=Y.shape[-1])
    Z, Zvar = tf(Y)
    tf.eval()
    return tf, Z, Zvar


def test_training_scores_are_normal_quantiles_of_average_ranks():
    rng = np.random.default_rng(0)
    Y = torch.as_tensor(np.round(rng.normal(size=(40, 2)), 1))  # rounding makes ties
    _tf, Z, Zvar = _fit(Y)
    assert Zvar is None and Z.shape == (40, 2) and Z.dtype == torch.float64
    for j in range(2):
        expected = norm.ppf((rankdata(Y[:, j].numpy()) - 0.5) / 40)  # average ranks, 1-based
        np.testing.assert_allclose(Z[:, j].numpy(), expected, atol=1e-12)


def test_eval_mode_is_exact_on_training_values_monotone_and_clamped():
    Y = torch.tensor([[3.0], [1.0], [2.0], [2.0], [10.0]], dtype=torch.float64)
    tf, Z, _ = _fit(Y)
    assert torch.equal(tf(Y)[0], Z)
    grid = torch.linspace(-5, 20, 101, dtype=torch.float64).unsqueeze(-1)
    Zg = tf(grid)[0].squeeze(-1)
    assert (Zg[1:] >= Zg[:-1]).all()
    assert Zg[0] == Z.min() and Zg[-1] == Z.max()  # clamped beyond the training range
    mid = tf(torch.tensor([[2.5]], dtype=torch.float64))[0]
    assert Z[2] < mid < Z[0]  # between the scores of 2 and 3


def test_untransform_inverts_on_training_scores_and_rejects_variances():
    Y = torch.tensor([[5.0, 0.1], [1.0, 0.3], [3.0, 0.2]], dtype=torch.float64)
    tf, Z, _ = _fit(Y)
    back, var = tf.untransform(Z)
    assert var is None
    torch.testing.assert_close(back, Y)
    assert tf.untransform(torch.full((1, 2), 9.0, dtype=torch.float64))[0].tolist() == [[5.0, 0.3]]
    with pytest.raises(InputError, match="cannot map variances"):
        tf.untransform(Z, torch.ones_like(Z))
    post = tf.untransform_posterior(GPyTorchPosterior(MultivariateNormal(torch.zeros(3), torch.eye(3))))
    assert isinstance(post, TransformedPosterior)


def test_single_point_and_constant_targets_give_zero_scores():
    assert _fit(torch.tensor([[4.0]], dtype=torch.float64))[1].item() == 0.0
    assert torch.equal(_fit(torch.ones(5, 1, dtype=torch.float64))[1], torch.zeros(5, 1, dtype=torch.float64))


def test_input_errors():
    tf = CopulaTransform(m=1)
    with pytest.raises(InputError, match="observation noise"):
        tf(torch.ones(3, 1), torch.ones(3, 1))
    with pytest.raises(InputError, match="n x 1"):
        tf(torch.ones(3, 2))
    with pytest.raises(InputError, match="NaN"):
        tf(torch.tensor([[1.0], [float("nan")]]))
    with pytest.raises(InputError, match="not fitted"):
        tf.untransform(torch.zeros(1, 1))
    with pytest.raises(InputError, match="positive int"):
        CopulaTransform(m=0)


def test_subset_output_and_state_dict():
    Y = torch.tensor([[5.0, 0.1], [1.0, 0.3], [3.0, 0.2]], dtype=torch.float64)
    tf, Z, _ = _fit(Y)
    sub = tf.subset_output([1])
    torch.testing.assert_close(sub(Y[:, 1:])[0], Z[:, 1:])
    other = CopulaTransform(m=2)
    other.sorted_targets = torch.zeros(3, 2, dtype=torch.float64)
    other.load_state_dict(tf.state_dict())
    other.eval()
    torch.testing.assert_close(other(Y)[0], Z)


def test_make_target_transform():
    assert TARGET_TRANSFORMS == ("standardize", "copula")
    assert make_target_transform(None, 2) is None
    assert isinstance(make_target_transform("standardize", 2), Standardize)
    assert isinstance(make_target_transform("copula", 2), CopulaTransform)
    with pytest.raises(UnknownNameError, match="'copula'"):
        make_target_transform("rank", 1)
