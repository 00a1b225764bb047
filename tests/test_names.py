"""The command line's names (agnet_bo.names) are exactly what the registries build: components
name themselves (config_name) and register with their kind."""

from agnet_bo import names


def test_every_registry_knows_exactly_the_shared_names():
    from agnet_bo.acquisition import ACQUISITION_CLASSES
    from agnet_bo.experiment import BENCHMARKS, METHODS
    from agnet_bo.presets import PRESETS, PROPOSERS
    from agnet_bo.surrogates import SURROGATES

    assert tuple(ACQUISITION_CLASSES) == names.ACQUISITIONS  # the order of the command line's --help
    assert tuple(PRESETS) == names.PRESETS
    assert tuple(METHODS) == names.METHODS and tuple(BENCHMARKS) == names.BENCHMARKS
    assert set(PROPOSERS) == set(names.PROPOSERS) and set(SURROGATES) == set(names.SURROGATES)
    assert set(names.SURROGATES) < set(names.SURROGATE_CHOICES)


def test_components_describe_themselves_and_only_built_ins_are_registered():
    import agnet_bo as ab
    from agnet_bo.acquisition import UCB, Acquisition
    from agnet_bo.proposers import MutationProposer, Proposer
    from agnet_bo.pruners import Pruner, SuccessiveHalving
    from agnet_bo.surrogates import GPSurrogate, Surrogate

    space = ab.spaces.NB201Space()
    gp = GPSurrogate(space, kernel="hamming", seed=3)
    assert gp.to_config() == {"type": "gp", "params": gp.get_params()}
    assert repr(Surrogate.from_config(gp.to_config(), space=space)) == repr(gp)
    assert Proposer.from_config(MutationProposer(space, n_parents=2).to_config(), space=space).n_parents == 2
    assert Acquisition.from_config(UCB(kappa=1.5).to_config()).kappa == (1.5,)
    assert Pruner.from_config(SuccessiveHalving(reduction_factor=2).to_config()).reduction_factor == 2

    class MyGP(GPSurrogate):  # a subclass does not inherit its parent's name
        pass

    assert MyGP(space).to_config()["type"] is None and "MyGP" in MyGP(space).to_config()["class"]
    assert "MyGP" not in str(Surrogate.registered(all=True).values())
    import pytest

    with pytest.raises(ab.exceptions.StateFileError, match="surrogate of your own class"):
        Surrogate.from_config(MyGP(space).to_config(), space=space)


def test_unknown_names_suggest_the_closest_one():
    import pytest

    from agnet_bo.acquisition import make_acquisition
    from agnet_bo.exceptions import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'qlognei'"):
        make_acquisition("qlogneii")
