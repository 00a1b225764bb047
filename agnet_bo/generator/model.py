"""The AG-Net graph decoder: a latent-conditioned, node-by-node generator of labelled DAGs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import Tensor, nn
from torch_geometric.nn import DenseGraphConv

from agnet_bo.exceptions import InputError

__all__ = ["GeneratorConfig", "GraphDecoder"]

MODES = ("autoregressive", "paper")


@dataclass(frozen=True)
class GeneratorConfig:
    """Sizes and training settings of the generator (defaults: the paper's, unless noted).

    Args:
        mode: ``"autoregressive"`` (each step conditioned on the target's own prefix; a proper
            likelihood) or ``"paper"`` (reconstruction of a target from an independent latent
            draw, joint loss with the paper's surrogate).
        hidden_dim: Node-state size of the message-passing GNN (32).
        latent_dim: Size of the latent vector ``z`` (32).
        num_layers: Message-passing rounds over the partial graph (2).
        alpha: Weight of the surrogate's squared error in the paper mode's joint loss (0.9).
        lr: Adam learning rate (1e-3).
        beta1: Adam's first beta (0.5; the second is 0.999).
        batch_size: Training batch size (16).
        epochs: Epochs of each weighted retraining (:meth:`Generator.update`; 30 as in the paper,
            measured better than 10 for the autoregressive mode, see bench/RESULTS.md).
        rank_k: ``k`` of the rank weights ``w_i = 1 / (k N + rank_i)``.
        label_smoothing: Label smoothing of the node-type and edge targets (0: none).
    """

    mode: str = "autoregressive"
    hidden_dim: int = 32
    latent_dim: int = 32
    num_layers: int = 2
    alpha: float = 0.9
    lr: float = 1e-3
    beta1: float = 0.5
    batch_size: int = 16
    epochs: int = 30
    rank_k: float = 0.01
    label_smoothing: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"`mode` must be one of {MODES}, got {self.mode!r}.")
        for name in ("hidden_dim", "latent_dim", "num_layers", "batch_size", "epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < (0 if name == "epochs" else 1):
                raise InputError(f"`{name}` must be a positive int, got {value!r}.")
        if not 0.0 <= self.alpha < 1.0:
            raise InputError(f"`alpha` must be in [0, 1), got {self.alpha!r}.")
        if not self.lr > 0 or not 0 <= self.beta1 < 1:
            raise InputError(f"`lr` must be > 0 and `beta1` in [0, 1), got lr={self.lr!r}, beta1={self.beta1!r}.")
        if not self.rank_k > 0:
            raise InputError(f"`rank_k` must be > 0, got {self.rank_k!r}.")
        if not 0.0 <= self.label_smoothing < 0.5:
            raise InputError(f"`label_smoothing` must be in [0, 0.5), got {self.label_smoothing!r}.")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GeneratorConfig:
        """Inverse of :meth:`to_dict` (unknown keys raise :class:`InputError`)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"Unknown GeneratorConfig field(s) {unknown}; known: {sorted(known)}.")
        return cls(**data)


def _mlp(sizes: list[int]) -> nn.Sequential:
    """Linear layers with SiLU in between.

    Not ReLU: pretraining towards the uniform distribution killed most ReLU units of the heads,
    after which weighted retraining could only move a position-independent output bias (the
    likelihood of a target cell rose 40x more slowly than from a fresh network; measured).
    """
    layers: list[nn.Module] = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class GraphDecoder(nn.Module):
    r"""Decoder network of the generator.

    State of a partial graph: node ``v`` starts from an embedding of its type and position; ``L``
    rounds of message passing (PyG ``DenseGraphConv`` for forward messages from predecessors and
    backward messages from successors, combined by a GRU cell) update it; a gated sum gives the
    graph embedding ``g``. From ``[g, z, position]`` a head predicts the type of the next node,
    and from ``[h_u, h_new, g, z]`` a head predicts each edge ``u -> new``.

    Shapes: ``B`` graphs, ``N`` = ``max_nodes``, ``A`` node types, ``H`` hidden, ``Z`` latent.

    Args:
        num_types: ``A``.
        max_nodes: ``N``.
        config: Sizes.
    """

    def __init__(self, num_types: int, max_nodes: int, config: GeneratorConfig) -> None:
        super().__init__()
        h, z = config.hidden_dim, config.latent_dim
        self.num_types, self.max_nodes, self.hidden_dim, self.latent_dim = num_types, max_nodes, h, z
        self.type_embed = nn.Linear(num_types, h)
        self.pos_embed = nn.Embedding(max_nodes, h)
        self.fwd = nn.ModuleList(DenseGraphConv(h, h, aggr="add") for _ in range(config.num_layers))
        self.bwd = nn.ModuleList(DenseGraphConv(h, h, aggr="add") for _ in range(config.num_layers))
        self.gru = nn.ModuleList(nn.GRUCell(h, h) for _ in range(config.num_layers))
        self.gate = nn.Linear(h, h)
        self.proj = nn.Linear(h, h)
        self.type_head = _mlp([h + z + h, h, num_types])
        self.edge_head = _mlp([3 * h + z, h, 1])

    def node_init(self, types_onehot: Tensor, positions: Tensor) -> Tensor:
        """Initial node states ``... x H`` from one-hot types ``... x A`` and positions ``...``."""
        return self.type_embed(types_onehot) + self.pos_embed(positions)

    def propagate(self, x: Tensor, adj: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Message passing over a batch of partial graphs.

        Args:
            x: ``B x N x H`` initial node states.
            adj: ``B x N x N`` adjacency, ``adj[b, u, v] = 1`` for an edge ``u -> v``.
            mask: ``B x N`` boolean, the nodes present in each graph.

        Returns:
            Node states ``B x N x H`` (zero where absent) and graph embeddings ``B x H``.
        """
        m = mask.to(x.dtype).unsqueeze(-1)
        h = x * m
        adj_in = adj.transpose(1, 2)  # DenseGraphConv: node i sums x_j over adj[i, j] = 1
        b, n, d = h.shape
        for fwd, bwd, gru in zip(self.fwd, self.bwd, self.gru, strict=False):
            msg = fwd(h, adj_in, mask) + bwd(h, adj, mask)
            h = gru(msg.reshape(b * n, d), h.reshape(b * n, d)).reshape(b, n, d) * m
        g = (torch.sigmoid(self.gate(h)) * self.proj(h) * m).sum(dim=1)
        return h, g

    def type_logits(self, g: Tensor, z: Tensor, position: Tensor) -> Tensor:
        """Logits ``B x A`` of the next node's type from ``g`` (``B x H``), ``z`` (``B x Z``) and positions (``B``)."""
        return self.type_head(torch.cat([g, z, self.pos_embed(position)], dim=-1))

    def edge_logits(self, h: Tensor, h_new: Tensor, g: Tensor, z: Tensor) -> Tensor:
        """Logits ``B x N`` of edges ``u -> new`` for every ``u``.

        Args:
            h: ``B x N x H`` states of the partial graph.
            h_new: ``B x H`` initial state of the new node.
            g: ``B x H`` graph embedding.
            z: ``B x Z`` latent.
        """
        b, n, _ = h.shape
        ctx = torch.cat([h_new, g, z], dim=-1).unsqueeze(1).expand(b, n, -1)
        return self.edge_head(torch.cat([h, ctx], dim=-1)).squeeze(-1)
