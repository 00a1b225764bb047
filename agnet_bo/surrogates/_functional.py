"""What a surrogate looks at: the part of an architecture that computes something.

A node whose operation outputs zeros (NAS-Bench-201's and DARTS' ``"none"``) cuts every path
through it, and a node that no longer lies on a path from the input to the output cannot change
the network's output. Two cells that differ only in such nodes compute the same function (and
NAS-Bench-201 gives them nearly the same accuracy), so surrogates ignore those nodes: graphs
drop them, fixed-length encodings relabel them with the zero operation. On NAS-Bench-201 this
raised the Kendall tau of every surrogate by 0.07 to 0.10 (bench/notes/surrogates.md, "Ablation: ignoring zero operations").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.utils import subgraph

from agnet_bo._graph import live_mask
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.spaces.base import SearchSpace

__all__ = ["functional_mask", "functional_graph", "functional_encoding", "check_zero_ops"]


def check_zero_ops(zero_ops: object) -> tuple[str, ...]:
    """``zero_ops`` as a tuple of strings, or an InputError."""
    if isinstance(zero_ops, str) or not isinstance(zero_ops, Sequence) or any(not isinstance(z, str) for z in zero_ops):
        raise InputError(
            f"`zero_ops` must be a sequence of operation names (e.g. ('none',)) or (), got {zero_ops!r}."
        )
    return tuple(zero_ops)


def functional_mask(arch: Architecture, zero_ops: Sequence[str]) -> np.ndarray:
    """Which nodes of ``arch`` matter: all but zero operations and the nodes they cut off.

    A node is cut off if it lies on a path from the input (node 0) to the output with the
    zero-operation nodes in place but on none without them. Nodes the space keeps although they
    are off such paths (e.g. the second input of a DARTS cell) are kept. The input and output
    are always kept (if the output is cut off, nothing else is).

    Returns:
        A boolean vector over the ``arch.num_nodes`` nodes.
    """
    zero = np.fromiter((op in zero_ops for op in arch.ops), dtype=bool, count=arch.num_nodes)
    if not zero.any():
        return np.ones(arch.num_nodes, dtype=bool)
    adj = arch.adjacency.copy()
    adj[zero, :] = 0
    adj[:, zero] = 0
    keep = ~zero & ~(live_mask(arch.adjacency) & ~live_mask(adj))
    keep[0] = keep[-1] = True
    return keep


def functional_graph(space: SearchSpace, arch: Architecture, zero_ops: Sequence[str]) -> Data:
    """``space.to_graph`` of the simplified architecture, restricted to the nodes that matter.

    Node features are the space's (rows of dropped nodes removed); edges between kept nodes stay.
    """
    arch = space.simplify(arch)
    graph = space.to_graph(arch)
    keep = functional_mask(arch, zero_ops)
    if keep.all():
        return graph
    mask = torch.as_tensor(keep)
    edge_index, _ = subgraph(mask, graph.edge_index, relabel_nodes=True, num_nodes=arch.num_nodes)
    return Data(x=graph.x[mask], edge_index=edge_index, num_nodes=int(mask.sum()))


def functional_encoding(space: SearchSpace, archs: Sequence[Architecture], zero_ops: Sequence[str]) -> torch.Tensor:
    """``space.encode`` after relabelling nodes that do not matter with the space's zero operation.

    Only where the space has a zero operation (one of ``zero_ops`` among its node types) and the
    relabelled architecture is still a member of the space; otherwise the architecture is
    encoded as it is.

    Returns:
        An ``n x d``-dim float64 tensor.
    """
    zero = next((z for z in zero_ops if z in space.node_types), None)
    if zero is None:
        return space.encode(list(archs))
    out = []
    for arch in archs:
        keep = functional_mask(arch, zero_ops)
        if not keep.all():
            relabelled = Architecture([op if k else zero for op, k in zip(arch.ops, keep, strict=False)], arch.adjacency)
            if space.is_valid(relabelled):
                arch = relabelled
        out.append(arch)
    return space.encode(out)
