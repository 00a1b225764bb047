"""What every result row records: the commit of the imported agnet-bo checkout, package versions, machine.

Shared by the benchmark scripts (``from _provenance import provenance`` after the script puts
``bench/`` on ``sys.path``).
"""

from __future__ import annotations

import os
import platform
import subprocess


def provenance() -> dict:
    """Commit (and whether ``agnet_bo/`` had uncommitted edits), versions, Python, cores, load."""
    from importlib.metadata import version

    import agnet_bo

    root = os.path.dirname(os.path.dirname(os.path.abspath(agnet_bo.__file__)))  # the checkout that is imported
    try:
        commit = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", root, "status", "--porcelain", "agnet_bo"], capture_output=True, text=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = None, None
    versions = {}
    for pkg in ("agnet-bo", "torch", "botorch", "gpytorch"):
        try:
            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = None
    return {"commit": commit, "dirty": dirty, "agnet_bo_imported_from": root, "versions": versions,
            "python": platform.python_version(), "cpu_count": os.cpu_count(), "load_average": os.getloadavg()[0]}
