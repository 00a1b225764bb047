"""The AG-Net graph generator: the proposal distribution of the search.

:class:`Generator` pretrains on random architectures of any :class:`~agnet_bo.spaces.SearchSpace`,
retrains with rank weights on evaluated ones (:meth:`Generator.update`) and samples new valid
architectures (:meth:`Generator.sample`). Its ``"paper"`` mode also holds the paper's surrogate, an
MLP trained jointly with the generator (:meth:`Generator.predict`).

Modules: ``generator`` (the :class:`Generator` class), ``config`` (:class:`GeneratorConfig`),
``model`` (the decoder network), ``data`` (architectures as tensors), ``losses`` (the training
objective of each mode), ``training`` (the training loop, rank weights), ``sampling`` (drawing
graphs), ``state`` (saved states and the shipped ones), ``cache`` (the per-space cache of
pretrained generators).
"""

from agnet_bo.generator.cache import default_cache_dir
from agnet_bo.generator.config import GeneratorConfig
from agnet_bo.generator.generator import Generator
from agnet_bo.generator.model import GraphDecoder
from agnet_bo.generator.sampling import SampleStats
from agnet_bo.generator.state import space_fingerprint
from agnet_bo.generator.training import rank_weights

__all__ = ["Generator", "GeneratorConfig", "GraphDecoder", "SampleStats", "rank_weights", "space_fingerprint", "default_cache_dir"]
