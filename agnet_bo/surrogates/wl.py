"""Weisfeiler-Lehman subtree features of architectures (the graph-aware input of ``GPSurrogate(kernel="wl")``).

Notation: ``n`` architectures, ``F`` features (the size of the fitted vocabulary).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from agnet_bo._validation import check_int
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import NotFittedError
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates._functional import check_zero_ops, functional_mask

__all__ = ["WLFeatures"]


class WLFeatures:
    r"""Counts of Weisfeiler-Lehman subtree labels, up to ``iterations`` rounds (NASBOWL's features).

    Round 0 labels every node with its operation; round ``t + 1`` relabels a node with its round-
    ``t`` label followed by the sorted multiset of its predecessors' round-``t`` labels, i.e. the
    operations of the sub-network feeding it up to depth ``t + 1``. An architecture's feature
    vector counts how often each label (of every round) occurs. Architectures are first
    simplified by the space (e.g. dead NAS-Bench-101 nodes pruned), and nodes with a zero
    operation (``zero_ops``) or off every input-to-output path are dropped, so the features
    describe the function the network computes, not its spelling.

    The vocabulary (which labels get a column) is learned by :meth:`fit`; labels never seen there
    are ignored by :meth:`transform`.

    Args:
        space: The space the architectures belong to.
        iterations: The number of relabelling rounds ``h`` (``0`` counts operations only).
        zero_ops: Operations that output zeros (``()`` to keep every node).

    Raises:
        InputError: If ``iterations`` is not a non-negative int or ``zero_ops`` not a sequence of names.

    Example:
        >>> from agnet_bo.spaces import NB201Space
        >>> space = NB201Space()
        >>> wl = WLFeatures(space, iterations=1).fit(space.sample(50, seed=0))
        >>> wl.transform(space.sample(3, seed=1)).shape[0]
        3
    """

    def __init__(self, space: SearchSpace, iterations: int = 2, zero_ops: Sequence[str] = ("none",)) -> None:
        check_int("iterations", iterations, minimum=0)
        self.space = space
        self.iterations = int(iterations)
        self.zero_ops = check_zero_ops(zero_ops)
        self.vocabulary_: list[str] | None = None
        self._index: dict[str, int] = {}

    def labels(self, arch: Architecture) -> Counter[str]:
        """The multiset of WL labels of one architecture (all rounds)."""
        arch = self.space.simplify(arch)
        keep = np.flatnonzero(functional_mask(arch, self.zero_ops))
        adj = arch.adjacency[np.ix_(keep, keep)]
        preds = [np.flatnonzero(adj[:, v]).tolist() for v in range(len(keep))]
        current = [arch.ops[i] for i in keep]
        counts: Counter[str] = Counter(current)
        for _ in range(self.iterations):
            current = [f"{current[v]}({','.join(sorted(current[u] for u in preds[v]))})" for v in range(len(current))]
            counts.update(current)
        return counts

    def fit(self, archs: Sequence[Architecture]) -> WLFeatures:
        """Learn the vocabulary: every label of ``archs``, sorted (so the column order is deterministic)."""
        vocab: set[str] = set()
        for a in archs:
            vocab.update(self.labels(a))
        self.set_vocabulary(sorted(vocab))
        return self

    def set_vocabulary(self, vocabulary: Sequence[str]) -> None:
        """Use a saved vocabulary (e.g. from a state dict) instead of :meth:`fit`."""
        self.vocabulary_ = [str(v) for v in vocabulary]
        self._index = {label: i for i, label in enumerate(self.vocabulary_)}

    def transform(self, archs: Sequence[Architecture]) -> Tensor:
        """The label counts of ``archs``.

        Returns:
            An ``n x F``-dim float64 tensor of counts.

        Raises:
            NotFittedError: Before :meth:`fit`.
        """
        if self.vocabulary_ is None:
            raise NotFittedError("WLFeatures has no vocabulary yet; call fit(archs) first.")
        out = np.zeros((len(archs), len(self.vocabulary_)))
        for i, a in enumerate(archs):
            for label, c in self.labels(a).items():
                j = self._index.get(label)
                if j is not None:
                    out[i, j] = c
        return torch.as_tensor(out, dtype=torch.float64)
