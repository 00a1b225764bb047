"""The DARTS / NAS-Bench-301 space (being written)."""

from agnet_bo.spaces.dag import DAGSpace

__all__ = ["DARTSSpace"]


class DARTSSpace(DAGSpace):
    """Placeholder until the DARTS space lands in this commit series."""
