import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread():
    """Run each surrogate test on one torch thread (restored afterwards).

    The models here are tiny, so threads only add synchronisation; on a busy 2-core machine
    two OpenMP threads made GP fits up to 10 times slower than one.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
