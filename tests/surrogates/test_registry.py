import pytest

from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.spaces import NB201Space
from agnet_bo.surrogates import (
    DEFAULT_ENSEMBLE,
    SURROGATES,
    EnsembleSurrogate,
    GNNSurrogate,
    GPSurrogate,
    make_surrogate,
)


@pytest.fixture(scope="module")
def space():
    return NB201Space()


def test_names(space):
    assert SURROGATES == ("gnn", "gp", "mlp", "ensemble")
    assert isinstance(make_surrogate("gnn", space, steps=5), GNNSurrogate)
    gp = make_surrogate("gp", space, kernel="hamming", seed=3)
    assert isinstance(gp, GPSurrogate) and gp.kernel == "hamming" and gp.seed == 3


def test_unknown_name_lists_the_names(space):
    expected = r"Unknown surrogate 'xgboost'. Expected one of: 'gnn', 'gp', 'mlp', 'ensemble'"
    with pytest.raises(UnknownNameError, match=expected):
        make_surrogate("xgboost", space)


def test_unknown_argument_lists_the_accepted_ones(space):
    expected = r"GPSurrogate does not accept argument\(s\) \['epochs'\]; it accepts \['kernel'"
    with pytest.raises(InputError, match=expected):
        make_surrogate("gp", space, epochs=3)


def test_default_ensemble(space):
    ens = make_surrogate("ensemble", space, seed=0)
    assert isinstance(ens, EnsembleSurrogate) and len(ens.surrogates) == len(DEFAULT_ENSEMBLE)
    seeds = [s.seed for s in ens.surrogates]
    assert len(set(seeds)) == len(seeds)  # spawned, distinct
    assert seeds == [s.seed for s in make_surrogate("ensemble", space, seed=0).surrogates]
    assert all(s.target_transform == "copula" for s in ens.surrogates)


def test_ensemble_members(space):
    ens = make_surrogate(
        "ensemble", space, members=["gp", ("gnn", {"steps": 5})], target_transform="standardize"
    )
    assert [type(s) for s in ens.surrogates] == [GPSurrogate, GNNSurrogate]
    assert ens.surrogates[1].steps == 5 and ens.target_transform == "standardize"
    assert all(s.seed is None for s in ens.surrogates)
    with pytest.raises(UnknownNameError, match="ensemble member"):
        make_surrogate("ensemble", space, members=["ensemble"])
    with pytest.raises(InputError, match="Set `seed` on the ensemble"):
        make_surrogate("ensemble", space, members=[("gp", {"seed": 1})])
    with pytest.raises(InputError, match="name or a \\(name, kwargs\\) pair"):
        make_surrogate("ensemble", space, members=[("gp", "wl")])
    with pytest.raises(InputError, match="non-empty sequence"):
        make_surrogate("ensemble", space, members=[])
    with pytest.raises(InputError, match="unexpected argument"):
        make_surrogate("ensemble", space, kernel="wl")
