"""Acquisitions: choosing ``q`` architectures from a candidate pool, given a fitted surrogate.

Each is a small class with its settings as constructor arguments (:class:`Acquisition` is the
contract, :class:`AcquisitionContext` what the optimizer hands over). The BoTorch ones wrap the
surrogate as a BoTorch model over the pool (inputs are pool indices, see
:class:`agnet_bo.surrogates.PoolModel`) and pick by sequential greedy selection, pending trials
entering as ``X_pending`` (past :data:`MAX_JOINT` of them and the earlier picks, the older ones
condition the model instead). Your own acquisition subclasses :class:`Acquisition` and goes to
``Optimizer(..., acquisition=MyAcquisition())``.
"""

from agnet_bo.acquisition._pool import MAX_JOINT
from agnet_bo.acquisition.base import Acquisition, AcquisitionContext
from agnet_bo.acquisition.multi import PAREGO_WEIGHTS, EHVIParEGO, ParEGO, QLogEHVI, QLogNEHVI
from agnet_bo.acquisition.rank import GreedyMean, RankConstrained, RankSum
from agnet_bo.acquisition.registry import (
    ACQUISITION_CLASSES,
    ACQUISITIONS,
    MULTI_OBJECTIVE,
    SINGLE_OBJECTIVE,
    make_acquisition,
)
from agnet_bo.acquisition.single import UCB, QLogEI, QLogNEI, ThompsonSampling

__all__ = [
    "Acquisition",
    "AcquisitionContext",
    "UCB",
    "ThompsonSampling",
    "GreedyMean",
    "QLogEI",
    "QLogNEI",
    "QLogEHVI",
    "QLogNEHVI",
    "ParEGO",
    "EHVIParEGO",
    "RankSum",
    "RankConstrained",
    "make_acquisition",
    "ACQUISITION_CLASSES",
    "ACQUISITIONS",
    "SINGLE_OBJECTIVE",
    "MULTI_OBJECTIVE",
    "PAREGO_WEIGHTS",
    "MAX_JOINT",
]
