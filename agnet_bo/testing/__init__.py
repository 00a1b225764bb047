"""Conformance test suites for user plugins (search spaces now; surrogates and proposers later)."""

from agnet_bo.testing.spaces import SPACE_CHECKS, SearchSpaceTests, check_search_space
from agnet_bo.testing.surrogates import SURROGATE_CHECKS, SurrogateTests, check_surrogate

__all__ = [
    "SearchSpaceTests",
    "check_search_space",
    "SPACE_CHECKS",
    "SurrogateTests",
    "check_surrogate",
    "SURROGATE_CHECKS",
]
