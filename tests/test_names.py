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


def test_a_user_component_that_names_itself_is_rebuilt_on_load_without_being_passed(tmp_path):
    import agnet_bo as ab
    from agnet_bo.proposers import RandomProposer

    class EveryOther(RandomProposer):
        """A user's proposer with a name of its own (registered when the class is defined)."""

        config_name = "test-every-other"

        def __init__(self, space, skip: int = 2):
            super().__init__(space)
            self.skip = skip

        def get_params(self):
            return {"skip": self.skip}

    opt = ab.Optimizer(ab.spaces.NB201Space(), "acc", proposer=EveryOther(ab.spaces.NB201Space(), skip=3),
                       surrogate="none", n_initial=2, seed=0)
    for t in opt.ask(3):
        opt.tell(t, float(len(set(t.arch.ops))))
    opt.save(tmp_path / "s.json")
    back = ab.Optimizer.load(tmp_path / "s.json")
    assert type(back.proposer) is EveryOther and back.proposer.skip == 3
    assert [t.key for t in back.ask(2)] == [t.key for t in opt.ask(2)]
