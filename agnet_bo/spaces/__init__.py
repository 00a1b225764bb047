"""Search spaces: the :class:`SearchSpace` base, user-defined :class:`DAGSpace` and
:class:`CandidateSpace` (a list of architectures), and the NAS-Bench spaces."""

from agnet_bo.spaces.base import SPACE_CLASSES, SearchSpace, SeedLike, make_rng, space_from_dict, space_to_dict
from agnet_bo.spaces.candidates import CandidateSpace
from agnet_bo.spaces.dag import DAGSpace
from agnet_bo.spaces.darts import DARTSSpace
from agnet_bo.spaces.nb101 import NB101Space
from agnet_bo.spaces.nb201 import NB201Space

__all__ = ["SearchSpace", "SeedLike", "make_rng", "DAGSpace", "NB101Space", "NB201Space", "DARTSSpace", "CandidateSpace", "SPACE_CLASSES", "space_to_dict", "space_from_dict"]
