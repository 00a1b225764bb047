"""Surrogates: swappable models of architecture performance behind one small interface.

* :class:`Surrogate`: the base class (``fit(archs, Y)``, ``predict(archs) -> (mean, variance)``,
  ``as_botorch_model(pool)`` for BoTorch acquisition functions, ``state_dict``).
* :class:`GPSurrogate`: BoTorch ``SingleTaskGP`` with a Hamming, RBF or Weisfeiler-Lehman kernel
  (:class:`HammingKernel`: BoTorch's ``CategoricalKernel``, computed faster).
* :class:`GNNSurrogate`: a deep ensemble of GIN networks (PyTorch Geometric) on the graphs.
* :class:`MLPSurrogate`: a deep ensemble of MLPs on BANANAS' path encoding (or one-hot).
* :class:`EnsembleSurrogate`: an equally weighted mixture of any surrogates.
* :class:`TransferSurrogate`: any surrogate weighted with models of earlier tasks (a prior) by
  how well each ranks the new task's results (RGPE).
* :func:`make_surrogate`: build one by name (``"gp"``, ``"gnn"``, ``"mlp"``, ``"ensemble"``).
* Target transforms (``target_transform=``): BoTorch's ``Standardize`` and :class:`CopulaTransform`.

* :class:`JointMLPSurrogate`: the paper's MLP, trained jointly with a ``"paper"``-mode generator.

Check a surrogate of your own with :class:`agnet_bo.testing.SurrogateTests` or
:func:`agnet_bo.testing.check_surrogate`.
"""

from agnet_bo.surrogates.adapter import PoolModel
from agnet_bo.surrogates.base import Surrogate
from agnet_bo.surrogates.ensemble import EnsembleSurrogate
from agnet_bo.surrogates.gnn import GNNSurrogate
from agnet_bo.surrogates.gp import GP_KERNELS, GPSurrogate, HammingKernel
from agnet_bo.surrogates.joint import JointMLPSurrogate
from agnet_bo.surrogates.mlp import MLPSurrogate, PathFeatures
from agnet_bo.surrogates.registry import DEFAULT_ENSEMBLE, SURROGATES, make_surrogate
from agnet_bo.surrogates.transfer import TransferSurrogate
from agnet_bo.surrogates.transforms import TARGET_TRANSFORMS, CopulaTransform, make_target_transform
from agnet_bo.surrogates.wl import WLFeatures

__all__ = [
    "Surrogate",
    "GPSurrogate",
    "GNNSurrogate",
    "MLPSurrogate",
    "PathFeatures",
    "EnsembleSurrogate",
    "JointMLPSurrogate",
    "TransferSurrogate",
    "make_surrogate",
    "SURROGATES",
    "DEFAULT_ENSEMBLE",
    "GP_KERNELS",
    "HammingKernel",
    "CopulaTransform",
    "TARGET_TRANSFORMS",
    "make_target_transform",
    "PoolModel",
    "WLFeatures",
]
