"""Scoped control of torch's intra-op thread count.

agnet-bo's models are tiny: one torch thread is fastest, and on a busy machine more threads are
catastrophically slow (a 60x slowdown was measured on 2 loaded cores). Components take a
``num_threads`` argument (default 1) and use :func:`torch_threads` around their work, restoring the
caller's setting afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` torch intra-op threads (``None``: leave the setting alone)."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    if before == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
