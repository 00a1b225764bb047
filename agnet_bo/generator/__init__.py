"""The AG-Net graph generator: the proposal distribution of the search.

:class:`Generator` pretrains on random architectures of any :class:`~agnet_bo.spaces.SearchSpace`,
retrains with rank weights on evaluated ones (:meth:`Generator.update`) and samples new valid
architectures (:meth:`Generator.sample`). Its ``"paper"`` mode also holds the paper's surrogate, an
MLP trained jointly with the generator (:meth:`Generator.predict`).
"""

from agnet_bo.generator.generator import Generator, SampleStats, default_cache_dir, rank_weights, space_fingerprint
from agnet_bo.generator.model import GeneratorConfig, GraphDecoder

__all__ = ["Generator", "GeneratorConfig", "GraphDecoder", "SampleStats", "rank_weights", "space_fingerprint", "default_cache_dir"]
