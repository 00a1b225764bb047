"""One list of names per kind (agnet_bo.names), and every registry knows exactly those."""

from agnet_bo import names


def test_every_registry_knows_exactly_the_shared_names():
    from agnet_bo.acquisition import ACQUISITION_CLASSES
    from agnet_bo.experiment import BENCHMARKS, METHODS
    from agnet_bo.presets import PRESETS
    from agnet_bo.proposers import PROPOSERS
    from agnet_bo.surrogates import SURROGATES

    assert tuple(ACQUISITION_CLASSES) == names.ACQUISITIONS
    assert tuple(PRESETS) == names.PRESETS
    assert tuple(METHODS) == names.METHODS and tuple(BENCHMARKS) == names.BENCHMARKS
    assert tuple(PROPOSERS) == names.PROPOSERS and tuple(SURROGATES) == names.SURROGATES
    assert set(names.SURROGATES) < set(names.SURROGATE_CHOICES)


def test_unknown_names_suggest_the_closest_one():
    import pytest

    from agnet_bo.acquisition import make_acquisition
    from agnet_bo.exceptions import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'qlognei'"):
        make_acquisition("qlogneii")
