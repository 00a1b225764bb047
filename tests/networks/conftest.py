import pytest

from agnet_bo._threads import torch_threads


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # The networks here are tiny: one thread is fastest, and more are very slow on a loaded machine.
    with torch_threads(1):
        yield
