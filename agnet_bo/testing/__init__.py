"""Conformance test suites for user plugins (search spaces now; surrogates and proposers later)."""

from agnet_bo.testing.spaces import SPACE_CHECKS, SearchSpaceTests, check_search_space

__all__ = ["SearchSpaceTests", "check_search_space", "SPACE_CHECKS"]
