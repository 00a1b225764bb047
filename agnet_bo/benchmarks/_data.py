"""Lazy, cached access to the bundled benchmark tables in ``agnet_bo/benchmarks/data``.

Each table is a compressed ``.npz`` written by ``scripts/build_benchmark_data.py``. A file is
opened only when one of its columns is first needed, only that column (``.npy`` member) is read,
and the result is cached for the life of the process. Files are read with
``allow_pickle=False``: they hold plain numeric arrays and one fixed-width string.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from agnet_bo.exceptions import AgnetBOError

__all__ = ["ORDER_MEMBER", "load_column", "nb201_order_fingerprint"]

_PACKAGE = "agnet_bo.benchmarks"

ORDER_MEMBER = "nb201_index_sha256"
"""Name of the member holding :func:`nb201_order_fingerprint` at build time, in every NB201 file."""

_verified: set[str] = set()
_lock = threading.Lock()


@lru_cache(maxsize=1)
def nb201_order_fingerprint() -> str:
    """SHA-256 (hex) of the NB201 index order used by :class:`~agnet_bo.spaces.NB201Space`.

    It hashes the ``15625 x 6`` table of operation codes behind ``NB201Space.from_index``; the
    build script stores it in every NB201 data file, and :func:`load_column` refuses a file whose
    rows were written for a different order.
    """
    from agnet_bo.spaces.nb201 import index_codes

    codes = np.ascontiguousarray(index_codes(), dtype=np.uint8)
    return hashlib.sha256(codes.tobytes()).hexdigest()


def _read_member(filename: str, member: str, *, check_order: bool) -> np.ndarray:
    resource = resources.files(_PACKAGE).joinpath("data").joinpath(filename)
    if not resource.is_file():
        raise AgnetBOError(
            f"The bundled benchmark file agnet_bo/benchmarks/data/{filename} is missing. Expected it to be "
            "installed with the package (package data). Reinstall agnet-bo, or from a source checkout run "
            "`python scripts/build_benchmark_data.py <benchdata folder>` (see agnet_bo/benchmarks/data/PROVENANCE.md) to rebuild the tables."
        )
    with resource.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
        if member not in npz.files:
            raise AgnetBOError(
                f"The bundled benchmark file {filename} has no column {member!r} (it has {sorted(npz.files)}). "
                "The data files are out of date with the code; rebuild them with "
                "`python scripts/build_benchmark_data.py <benchdata folder>` (see agnet_bo/benchmarks/data/PROVENANCE.md)."
            )
        if check_order and filename not in _verified:
            stored = str(npz[ORDER_MEMBER][()]) if ORDER_MEMBER in npz.files else "<none>"
            if stored != nb201_order_fingerprint():
                raise AgnetBOError(
                    f"The rows of the bundled benchmark file {filename} were written for a different NB201 "
                    f"index order (fingerprint {stored[:12]}...) than the one NB201Space uses "
                    f"({nb201_order_fingerprint()[:12]}...). Values would be attached to the wrong cells. "
                    "Rebuild the tables with `python scripts/build_benchmark_data.py <benchdata folder>` (see agnet_bo/benchmarks/data/PROVENANCE.md)."
                )
            with _lock:
                _verified.add(filename)
        return npz[member]


@cache
def load_column(filename: str, member: str, *, check_order: bool = True) -> np.ndarray:
    """One column of a bundled table as a read-only ``float64`` array, cached per process.

    Args:
        filename: The ``.npz`` file name inside ``agnet_bo/benchmarks/data``.
        member: The array name inside the file (a metric name).
        check_order: Verify once per file that it was built for the current NB201 index order.

    Returns:
        A read-only ``float64`` array of shape ``(15625,)`` for the NB201 tables; ``NaN`` marks a
        value that was not measured. Columns stored as ``float32`` are widened exactly.

    Raises:
        AgnetBOError: If the file or the member is missing, or the file's row order does not match
            :class:`~agnet_bo.spaces.NB201Space`.
    """
    arr = np.array(_read_member(filename, member, check_order=check_order), dtype=np.float64)
    arr.setflags(write=False)
    return arr
