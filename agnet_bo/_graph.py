"""Graph utilities shared by the search spaces: pruning and exact canonical forms of labelled DAGs.

The canonical form is computed by colour refinement with individualisation (the classic scheme
behind nauty/bliss, written for small DAGs): nodes are first coloured by ``(depth, label)``,
colours are refined by the multisets of predecessor and successor colours until stable, and ties
are broken by trying every node of the first non-singleton colour class and keeping the
lexicographically smallest certificate. The result is exact (two labelled DAGs get the same form
iff they are isomorphic) and, because colours are ordered by depth first, the canonical node order
is topological.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["live_mask", "canonical_order", "automorphisms", "permute"]


def live_mask(adjacency: np.ndarray) -> np.ndarray:
    """Nodes that lie on a path from node 0 to node ``n - 1``.

    Args:
        adjacency: An ``n x n`` strictly upper-triangular 0/1 matrix.

    Returns:
        A boolean vector of length ``n``.
    """
    adj = adjacency.astype(bool)
    n = adj.shape[0]
    fwd = np.zeros(n, dtype=bool)
    fwd[0] = True
    for v in range(n):
        if fwd[v]:
            fwd |= adj[v]
    bwd = np.zeros(n, dtype=bool)
    bwd[n - 1] = True
    for v in range(n - 2, -1, -1):
        if (adj[v] & bwd).any():
            bwd[v] = True
    return fwd & bwd


def _depths(adj: np.ndarray) -> list[int]:
    n = adj.shape[0]
    depth = [0] * n
    for v in range(n):
        preds = np.flatnonzero(adj[:, v])
        if len(preds):
            depth[v] = 1 + max(depth[int(u)] for u in preds)
    return depth


def _rank(signatures: Sequence[tuple]) -> list[int]:
    order = {s: i for i, s in enumerate(sorted(set(signatures)))}
    return [order[s] for s in signatures]


def _refine(colours: list[int], preds: list[list[int]], succs: list[list[int]]) -> list[int]:
    n_classes = len(set(colours))
    while True:
        sigs = [
            (
                colours[v],
                tuple(sorted(colours[u] for u in preds[v])),
                tuple(sorted(colours[w] for w in succs[v])),
            )
            for v in range(len(colours))
        ]
        new = _rank(sigs)
        n_new = len(set(new))
        if n_new == n_classes:
            return new
        colours, n_classes = new, n_new


def canonical_order(labels: Sequence[object], adjacency: np.ndarray) -> list[int]:
    """A canonical, topological node order of a labelled DAG.

    Args:
        labels: ``n`` node labels (any mutually comparable, hashable values).
        adjacency: ``n x n`` strictly upper-triangular 0/1 matrix.

    Returns:
        A permutation ``perm`` (``perm[i]`` is the old index of the node placed at position ``i``)
        such that :func:`permute` gives the same result for any two isomorphic inputs, and such
        that every edge goes from a lower to a higher position.
    """
    adj = np.asarray(adjacency, dtype=bool)
    n = adj.shape[0]
    preds = [list(map(int, np.flatnonzero(adj[:, v]))) for v in range(n)]
    succs = [list(map(int, np.flatnonzero(adj[v]))) for v in range(n)]
    depth = _depths(adj)
    label_rank = _rank([(lbl,) for lbl in labels])
    colours = _refine(_rank(list(zip(depth, label_rank, strict=False))), preds, succs)

    best: list[tuple[bytes, list[int]]] = []

    def certificate(perm: list[int]) -> bytes:
        sub = adj[np.ix_(perm, perm)]
        return bytes(label_rank[p] for p in perm) + np.packbits(sub).tobytes()

    def search(col: list[int]) -> None:
        counts: dict[int, list[int]] = {}
        for v, c in enumerate(col):
            counts.setdefault(c, []).append(v)
        target = None
        for c in sorted(counts):
            if len(counts[c]) > 1:
                target = counts[c]
                break
        if target is None:
            perm = sorted(range(n), key=col.__getitem__)
            cert = certificate(perm)
            if not best or cert < best[0][0]:
                best[:] = [(cert, perm)]
            return
        # Twins (same predecessors and successors) are interchangeable: try one of each kind.
        seen: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        for v in target:
            twin_key = (tuple(preds[v]), tuple(succs[v]))
            if twin_key in seen:
                continue
            seen.add(twin_key)
            indiv = _rank([(c, 0 if u == v else 1) for u, c in enumerate(col)])
            search(_refine(indiv, preds, succs))

    search(colours)
    return best[0][1]


def permute(labels: Sequence[str], adjacency: np.ndarray, perm: Sequence[int]) -> tuple[tuple[str, ...], np.ndarray]:
    """Reorder a labelled graph: position ``i`` receives old node ``perm[i]``."""
    p = list(perm)
    return tuple(labels[i] for i in p), np.asarray(adjacency)[np.ix_(p, p)]


def automorphisms(adjacency: np.ndarray, labels: Sequence[object] | None = None, limit: int = 10_000) -> list[tuple[int, ...]]:
    """All label-preserving automorphisms of a small DAG, identity first.

    Used to canonicalise spaces with a fixed adjacency: two labellings of the same skeleton are
    the same network iff they differ by an automorphism of the skeleton.

    Args:
        adjacency: ``n x n`` strictly upper-triangular 0/1 matrix.
        labels: Optional node labels the automorphisms must preserve (e.g. input/output).
        limit: Stop after this many automorphisms (a safety net for huge symmetric skeletons).

    Returns:
        Permutations ``perm`` with ``adjacency[perm][:, perm] == adjacency``.
    """
    adj = np.asarray(adjacency, dtype=bool)
    n = adj.shape[0]
    lab = list(labels) if labels is not None else [0] * n
    preds = [set(map(int, np.flatnonzero(adj[:, v]))) for v in range(n)]
    succs = [set(map(int, np.flatnonzero(adj[v]))) for v in range(n)]
    depth = _depths(adj)
    colour = _refine(_rank(list(zip(depth, _rank([(x,) for x in lab]), strict=False))), [sorted(p) for p in preds], [sorted(s) for s in succs])
    found: list[tuple[int, ...]] = []
    image: list[int] = [-1] * n
    used = [False] * n

    def extend(v: int) -> None:
        if len(found) >= limit:
            return
        if v == n:
            found.append(tuple(image))
            return
        for w in range(n):
            if used[w] or colour[w] != colour[v]:
                continue
            ok = all(
                adj[u, v] == adj[image[u], w] and adj[v, u] == adj[w, image[u]] for u in range(v)
            )
            if not ok:
                continue
            image[v] = w
            used[w] = True
            extend(v + 1)
            used[w] = False
            image[v] = -1

    extend(0)
    found.sort(key=lambda p: p != tuple(range(n)))
    return found
