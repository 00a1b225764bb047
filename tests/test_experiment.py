import pytest

from agnet_bo.exceptions import InputError, UnknownNameError
from agnet_bo.experiment import parse_method


def test_overrides_are_json_or_plain_strings():
    settings = parse_method("agnet:surrogate=gnn,pool_size=500")
    assert settings["surrogate"] == "gnn" and settings["pool_size"] == 500


def test_the_model_bound_is_an_override():
    assert parse_method("agnet:max_model_trials=64")["max_model_trials"] == 64


def test_a_list_override_keeps_its_commas():
    settings = parse_method("agnet:kappa=[0.5,2,3.5],pool_size=300")
    assert settings["kappa"] == [0.5, 2, 3.5] and settings["pool_size"] == 300


def test_method_specs_do_not_share_state():
    parse_method("agnet:pool_size=7")
    assert parse_method("agnet").get("pool_size") != 7


@pytest.mark.parametrize(
    "spec, error, match",
    [
        ("bayesopt", UnknownNameError, "agnet"),
        ("agnet:kernel=wl", InputError, "surrogate"),
        ("agnet:pool_size", InputError, "key=value"),
        ("agnet-paper:pool_size=300", InputError, "fixed preset"),
        ("", InputError, "non-empty"),
    ],
)
def test_bad_specs_are_clear_errors(spec, error, match):
    with pytest.raises(error, match=match):
        parse_method(spec)
