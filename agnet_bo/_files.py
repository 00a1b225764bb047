"""One atomic file writer for everything agnet-bo saves."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

__all__ = ["atomic_write"]


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    The data goes to a temporary file beside ``path`` (same directory, so the rename stays on one
    file system), is flushed and fsynced, then renamed over ``path``. On any failure the temporary
    file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            errno.ENOENT,
            f"Cannot write {str(path)!r}: the folder {str(folder)!r} does not exist. Create it first, e.g. "
            f"os.makedirs({str(folder)!r}, exist_ok=True)",
            str(path),
        )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # one per writer: threads may save at once
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # name the user's file, not the temporary one
        raise type(exc)(exc.errno, f"Cannot write {str(path)!r}: {exc.strerror}", str(path)) from exc
    finally:
        tmp.unlink(missing_ok=True)
