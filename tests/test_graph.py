"""The exact canonical form against brute-force isomorphism."""

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agnet_bo import _graph


def _random_dag(rng, n, labels, p):
    adj = np.triu((rng.random((n, n)) < p).astype(np.uint8), k=1)
    lab = [labels[int(i)] for i in rng.integers(len(labels), size=n)]
    return lab, adj


def _form(labels, adj):
    perm = _graph.canonical_order(labels, adj)
    lab, a = _graph.permute(labels, adj, perm)
    return tuple(lab), a.tobytes()


def _brute_isomorphic(l1, a1, l2, a2):
    n = len(l1)
    if n != len(l2) or sorted(l1) != sorted(l2) or a1.sum() != a2.sum():
        return False
    for perm in itertools.permutations(range(n)):
        if all(l1[perm[i]] == l2[i] for i in range(n)) and np.array_equal(a1[np.ix_(perm, perm)], a2):
            return True
    return False


def _shuffle_topological(labels, adj, rng):
    n = len(labels)
    perm = list(rng.permutation(n))
    # any permutation, then re-sort topologically with random tie breaks via the permuted graph
    a = adj[np.ix_(perm, perm)]
    lab = [labels[i] for i in perm]
    indeg = a.sum(axis=0).astype(int)
    ready = [v for v in range(n) if indeg[v] == 0]
    order = []
    while ready:
        v = ready.pop(int(rng.integers(len(ready))))
        order.append(v)
        for w in np.flatnonzero(a[v]):
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(int(w))
    return [lab[i] for i in order], a[np.ix_(order, order)]


def test_canonical_order_is_topological():
    rng = np.random.default_rng(0)
    for _ in range(300):
        lab, adj = _random_dag(rng, 7, "abc", 0.4)
        perm = _graph.canonical_order(lab, adj)
        assert sorted(perm) == list(range(7))
        _, a = _graph.permute(lab, adj, perm)
        assert not np.tril(a).any()


def test_relabelled_graphs_get_the_same_form():
    rng = np.random.default_rng(1)
    for _ in range(500):
        lab, adj = _random_dag(rng, int(rng.integers(2, 9)), "ab", 0.35)
        lab2, adj2 = _shuffle_topological(lab, adj, rng)
        assert _form(lab, adj) == _form(lab2, adj2)


def test_forms_agree_with_brute_force_isomorphism():
    # small alphabets and sizes make collisions of invariants (and hence hard cases) frequent
    rng = np.random.default_rng(2)
    graphs = [_random_dag(rng, 6, "ab", 0.4) for _ in range(400)]
    forms = [_form(*g) for g in graphs]
    checked = 0
    for i in range(len(graphs)):
        for j in range(i + 1, len(graphs)):
            (l1, a1), (l2, a2) = graphs[i], graphs[j]
            if sorted(l1) != sorted(l2) or a1.sum() != a2.sum():
                continue
            if sorted(a1.sum(0)) != sorted(a2.sum(0)) or sorted(a1.sum(1)) != sorted(a2.sum(1)):
                continue
            checked += 1
            assert (forms[i] == forms[j]) == _brute_isomorphic(l1, a1, l2, a2)
    assert checked > 100


def test_symmetric_graphs_are_fast_and_exact():
    # input -> 12 identical parallel nodes -> output: twins must not blow up the search
    n = 14
    adj = np.zeros((n, n), dtype=np.uint8)
    adj[0, 1:-1] = 1
    adj[1:-1, -1] = 1
    lab = ["in"] + ["x"] * 12 + ["out"]
    assert len(_graph.canonical_order(lab, adj)) == n
    # two identical 3-chains in parallel, and with different labels
    adj = np.zeros((8, 8), dtype=np.uint8)
    for a, b in [(0, 1), (1, 2), (2, 7), (0, 3), (3, 4), (4, 7), (0, 5), (5, 6), (6, 7)]:
        adj[a, b] = 1
    lab1 = ["in", "x", "y", "x", "y", "x", "z", "out"]
    lab2 = ["in", "x", "z", "x", "y", "x", "y", "out"]
    assert _form(lab1, adj) == _form(lab2, adj)
    lab3 = ["in", "x", "y", "y", "x", "x", "z", "out"]
    assert _form(lab1, adj) != _form(lab3, adj)


def test_live_mask():
    adj = np.zeros((5, 5), dtype=np.uint8)
    adj[0, 1] = adj[1, 4] = adj[0, 2] = adj[3, 4] = 1  # 2 is a dead end, 3 is unreachable
    assert _graph.live_mask(adj).tolist() == [True, True, False, False, True]


def test_automorphisms():
    adj = np.zeros((4, 4), dtype=np.uint8)
    adj[0, 1] = adj[0, 2] = adj[1, 3] = adj[2, 3] = 1
    autos = _graph.automorphisms(adj, [0, 1, 1, 2])
    assert autos[0] == (0, 1, 2, 3)
    assert set(autos) == {(0, 1, 2, 3), (0, 2, 1, 3)}
    chain = np.eye(5, k=1, dtype=np.uint8)
    assert _graph.automorphisms(chain) == [(0, 1, 2, 3, 4)]


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 7), st.integers(0, 2**32 - 1))
def test_canonical_is_invariant_property(n, seed):
    rng = np.random.default_rng(seed)
    lab, adj = _random_dag(rng, n, "abc", 0.5)
    lab2, adj2 = _shuffle_topological(lab, adj, rng)
    assert _form(lab, adj) == _form(lab2, adj2)
