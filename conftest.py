"""Test-session settings shared by the tests and the doctests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _generator_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Pretrained generators of user spaces are cached in a folder of the test session, not the user's."""
    old = os.environ.get("AGNET_BO_CACHE_DIR")
    os.environ["AGNET_BO_CACHE_DIR"] = str(tmp_path_factory.mktemp("agnet_bo_cache"))
    yield
    if old is None:
        os.environ.pop("AGNET_BO_CACHE_DIR", None)
    else:
        os.environ["AGNET_BO_CACHE_DIR"] = old
