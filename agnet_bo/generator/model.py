"""The AG-Net graph decoder: a latent-conditioned, node-by-node generator of labelled DAGs."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import DenseGraphConv

from agnet_bo.generator.config import MODES, GeneratorConfig

__all__ = ["GeneratorConfig", "GraphDecoder", "mlp", "MODES"]  # GeneratorConfig and MODES live in config.py


def mlp(sizes: list[int]) -> nn.Sequential:
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
        self.type_head = mlp([h + z + h, h, num_types])
        self.edge_head = mlp([3 * h + z, h, 1])

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
