"""Test-session settings shared by every test module."""

from __future__ import annotations

import os


def pytest_configure(config: object) -> None:
    """Under pytest-xdist (the README's ``-n auto``) each worker process gets one torch thread:
    with one OpenMP pool per worker, the workers' threads outnumber the cores and spin against
    each other (an acquisition test took 38 s beside another worker, 0.2 s alone). Child processes
    that tests start inherit the setting. A plain ``pytest`` run keeps torch's default."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")
        import torch

        torch.set_num_threads(1)
