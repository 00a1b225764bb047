"""A deep ensemble of MLPs on fixed-length encodings: BANANAS' path encoding or the space's one-hot.

Notation: ``n`` architectures, ``m`` outputs, ``s`` ensemble members, ``F`` features.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from agnet_bo._validation import check_int
from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, NotFittedError
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates._functional import check_zero_ops, functional_encoding, functional_mask
from agnet_bo.surrogates.gnn import GNNSurrogate
from agnet_bo.surrogates.layers import MemberLinear

__all__ = ["PathFeatures", "MLPSurrogate", "ENCODINGS"]

ENCODINGS = ("path", "onehot")


class PathFeatures:
    r"""BANANAS' path encoding: which input-to-output paths, spelled by their operations, a cell has.

    A path is the sequence of operations met between the input (node 0) and the output (the last
    node). Architectures are simplified by the space first and nodes with a zero operation
    (``zero_ops``, which cut every path through them) are removed, so two cells computing the
    same paths get the same features. The vocabulary (which paths get a column) is learned by
    :meth:`fit`; paths never seen there are ignored by :meth:`transform`. Paths are enumerated
    up to ``max_paths`` per architecture (BANANAS truncates too); on cell spaces there are few.

    Args:
        space: The search space.
        zero_ops: Operations that output zeros.
        max_paths: Most paths enumerated per architecture.

    Example:
        >>> from agnet_bo.spaces import NB201Space
        >>> space = NB201Space()
        >>> pf = PathFeatures(space).fit(space.sample(100, seed=0))
        >>> pf.transform(space.sample(2, seed=1)).shape[0]
        2
    """

    def __init__(self, space: SearchSpace, zero_ops: Sequence[str] = ("none",), max_paths: int = 10_000) -> None:
        self.space = space
        self.zero_ops = check_zero_ops(zero_ops)
        self.max_paths = check_int("max_paths", max_paths)
        self.vocabulary_: dict[tuple[str, ...], int] | None = None

    def paths(self, arch: Architecture) -> Counter[tuple[str, ...]]:
        """The operation sequences of ``arch``'s input-to-output paths, with multiplicities."""
        arch = self.space.simplify(arch)
        keep = functional_mask(arch, self.zero_ops)
        keep &= np.array([op not in self.zero_ops for op in arch.ops])
        adj = arch.adjacency.astype(bool) & keep[:, None] & keep[None, :]
        n = arch.num_nodes
        out: Counter[tuple[str, ...]] = Counter()
        stack: list[tuple[int, tuple[str, ...]]] = [(0, ())]
        while stack and sum(out.values()) < self.max_paths:
            node, path = stack.pop()
            if node == n - 1:
                out[path] += 1
                continue
            for nxt in np.flatnonzero(adj[node])[::-1]:
                op = arch.ops[nxt]
                stack.append((int(nxt), path if op in (INPUT, OUTPUT) or nxt == n - 1 else (*path, op)))
        return out

    def fit(self, archs: Sequence[Architecture]) -> PathFeatures:
        """Learn the vocabulary: every path of ``archs``, in order of first appearance."""
        vocab: dict[tuple[str, ...], int] = {}
        for arch in archs:
            for p in sorted(self.paths(arch)):
                vocab.setdefault(p, len(vocab))
        self.vocabulary_ = vocab
        return self

    def transform(self, archs: Sequence[Architecture]) -> Tensor:
        """``n x F`` float32 path indicators (1 where a path of the vocabulary occurs)."""
        if self.vocabulary_ is None:
            raise NotFittedError("PathFeatures.transform needs a vocabulary: call fit first.")
        X = torch.zeros(len(archs), max(len(self.vocabulary_), 1))
        for i, arch in enumerate(archs):
            cols = [self.vocabulary_[p] for p in self.paths(arch) if p in self.vocabulary_]
            X[i, cols] = 1.0
        return X


class _MLPEnsemble(nn.Module):
    """``s`` MLP regressors evaluated together: ``s x n x F`` -> ``s x n x m``."""

    def __init__(self, s: int, in_dim: int, hidden: int, layers: int, out_dim: int) -> None:
        super().__init__()
        dims = [in_dim] + [hidden] * layers
        mods: list[nn.Module] = []
        for a, b in itertools.pairwise(dims):
            mods += [MemberLinear(s, a, b), nn.ReLU()]
        mods.append(MemberLinear(s, dims[-1], out_dim))
        self.s = s
        self.body = nn.Sequential(*mods)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x.unsqueeze(0).expand(self.s, -1, -1))


class MLPSurrogate(GNNSurrogate):
    r"""A deep ensemble of MLPs on BANANAS' path encoding (default) or the space's one-hot encoding.

    With ``encoding="path"`` and the default acquisition this is the surrogate of a BANANAS-style
    search (White et al., 2021: an ensemble of feed-forward networks on path indicators). Training,
    bootstrapping, the out-of-bag noise estimate and the BoTorch posterior are those of
    :class:`~agnet_bo.surrogates.GNNSurrogate`; only the network and its input differ.

    Args:
        space: The search space.
        encoding: ``"path"`` (:class:`PathFeatures`, vocabulary refitted with every fit) or
            ``"onehot"`` (``space.encode`` with ignored nodes relabelled by the zero operation).
        n_members: Ensemble size ``s``.
        hidden_dim: Width of the hidden layers.
        num_layers: Hidden layers per member.
        steps: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        batch_size: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        lr: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        weight_decay: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        noise_floor: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        bootstrap: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        zero_ops: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        target_transform: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        seed: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.
        num_threads: As for :class:`~agnet_bo.surrogates.GNNSurrogate`.

    Raises:
        UnknownNameError: If ``encoding`` is not one of :data:`ENCODINGS`.

    Example:
        >>> from agnet_bo.spaces import NB201Space
        >>> space = NB201Space()
        >>> archs = space.sample(32, seed=0)
        >>> y = [a.ops.count("nor_conv_3x3") for a in archs]
        >>> mlp = MLPSurrogate(space, n_members=3, steps=50, seed=0).fit(archs, y)
        >>> mlp.predict(space.sample(4, seed=1))[0].shape
        torch.Size([4, 1])
    """

    config_name = "mlp"

    def __init__(
        self,
        space: SearchSpace,
        *,
        encoding: str = "path",
        n_members: int = 5,
        hidden_dim: int = 32,
        num_layers: int = 3,
        steps: int = 300,
        batch_size: int = 512,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        noise_floor: float = 1e-3,
        bootstrap: bool = True,
        zero_ops: tuple[str, ...] = ("none",),
        target_transform: str | None = "copula",
        seed: int | None = None,
        num_threads: int | None = 1,
    ) -> None:
        super().__init__(
            space, n_members=n_members, hidden_dim=hidden_dim, num_layers=num_layers, steps=steps,
            batch_size=batch_size, lr=lr, weight_decay=weight_decay, noise_floor=noise_floor, bootstrap=bootstrap,
            zero_ops=zero_ops, target_transform=target_transform, seed=seed, num_threads=num_threads,
        )
        if encoding not in ENCODINGS:
            from agnet_bo.exceptions import unknown_name

            raise unknown_name("encoding", encoding, ENCODINGS)
        self.encoding = encoding
        self.paths_: PathFeatures | None = None

    def get_params(self) -> dict[str, Any]:
        return {"encoding": self.encoding, **super().get_params()}

    def _inputs(self, archs: list[Architecture]) -> Tensor:
        if self.encoding == "onehot":
            return functional_encoding(self.space, archs, self.zero_ops).to(torch.float32)
        if self.paths_ is None:
            raise NotFittedError("MLPSurrogate has no path vocabulary yet: call fit first.")
        return self.paths_.transform(archs)

    def _take(self, inputs: Tensor, idx: Tensor) -> Tensor:
        return inputs[idx]

    def _forward(self, net: nn.Module, inputs: Tensor) -> Tensor:
        return net(inputs)

    def _new_net(self, m: int) -> nn.Module:
        in_dim = self.space.encoding_dim if self.encoding == "onehot" else max(len(self.paths_.vocabulary_ or {}), 1)  # type: ignore[union-attr]
        with torch.device("meta"):
            net = _MLPEnsemble(self.n_members, in_dim, self.hidden_dim, self.num_layers, m)
        return net.to_empty(device="cpu")

    def _fit(self, archs: list[Architecture], Y: Tensor) -> None:
        if self.encoding == "path":
            self.paths_ = PathFeatures(self.space, self.zero_ops).fit(archs)
        super()._fit(archs, Y)

    def _model_state(self) -> dict[str, Any]:
        state = super()._model_state()
        if self.paths_ is not None and self.paths_.vocabulary_ is not None:
            state["paths"] = [list(p) for p in self.paths_.vocabulary_]
        return state

    def _load_model_state(self, state: dict[str, Any], archs: list[Architecture], Y: Tensor) -> None:
        if self.encoding == "path":
            try:
                vocab = [tuple(str(op) for op in p) for p in state["paths"]]
            except (KeyError, TypeError) as exc:
                raise InputError(f"Malformed MLPSurrogate state (path vocabulary): {exc!r}.") from exc
            self.paths_ = PathFeatures(self.space, self.zero_ops)
            self.paths_.vocabulary_ = {p: i for i, p in enumerate(vocab)}
        super()._load_model_state(state, archs, Y)
