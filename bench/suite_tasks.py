"""Tabular search tasks for the benchmark suite: real benchmark data on several search spaces.

    python -m bench.suite_tasks                       # self-check: load every task and validate it
    python -m bench.suite_tasks --rebuild <benchdata folder>   # regenerate bench/data from the sources

Every task is a finite set of architectures of one search space with a known value each, so a
search run can be scored without training anything. ``load(name)`` returns a :class:`TaskData`;
:data:`TASKS` lists the names. Everything needed ships in ``bench/data`` (gzip-compressed CSV, see
``bench/data/PROVENANCE.md``) or in the ``agnet_bo`` package (the NAS-Bench-201 tables), so the
tasks work on a fresh checkout; nothing is downloaded and nothing is cached on disk.

Conventions shared by all tasks:

* ``values["valid"]`` is the validation metric, larger is better (losses are negated);
  ``values["test"]`` is present only when the source has a test metric.
* ``archs`` hold distinct ``base_space.key``s. When several source entries have the same key
  (NB101 specs of one cell, with different training repeats; NB-NLP cells trained more than
  once under different recipe ids; NB201 cells that differ only in dead edges) the task keeps the
  first entry's architecture and the MEAN of their values.
* Every architecture passes ``base_space.validate``.

Task families (see each loader's docstring for the details):

* ``nb101-cifar10``: the 500 NAS-Bench-101 cells of NASLib's NAS-Bench-Suite-Zero subset.
* ``nb301-cifar10``: the 725 really trained NAS-Bench-301 (DARTS) architectures.
* ``nlp-wikitext2``: NAS-Bench-NLP's WikiText-2 recurrent cells as node-labelled DAGs.
* ``transnas-micro-<task>`` / ``transnas-macro-<task>``: TransNAS-Bench-101 (NASLib subset), 7 tasks.
* ``nb201-dag-<dataset>``: NAS-Bench-201 re-expressed as free-edge DAGs (``none`` ops removed).
* ``chain-<ops>x<layers>``: small chain spaces scored through a fixed map to NAS-Bench-201 cells.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import itertools
import json
import re
import sys
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from pathlib import Path

import numpy as np

import agnet_bo
from agnet_bo import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InvalidArchitectureError
from agnet_bo.spaces import DAGSpace, DARTSSpace, NB101Space, NB201Space, SearchSpace
from agnet_bo.spaces.nb201 import NB201_EDGES

__all__ = ["TASKS", "TaskData", "load"]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class TaskData:
    """One tabular task: architectures of ``base_space`` and their values."""

    name: str
    base_space: SearchSpace
    archs: list[Architecture]
    values: dict[str, np.ndarray]
    note: str


# -- names ----------------------------------------------------------------------------------------

TRANSNAS_TASKS: tuple[str, ...] = (
    "class_scene",
    "class_object",
    "jigsaw",
    "room_layout",
    "segmentsemantic",
    "autoencoder",
    "normal",
)
"""The 7 TransNAS-Bench-101 tasks; all are provided for both the micro and the macro space."""

TRANSNAS_METRIC: dict[str, str] = {
    "class_scene": "valid top-1 accuracy (%)",
    "class_object": "valid top-1 accuracy (%)",
    "jigsaw": "valid top-1 accuracy (%)",
    "room_layout": "valid_neg_loss (minus the validation regression loss; negated in the source already)",
    "segmentsemantic": "valid pixel accuracy (%)",
    "autoencoder": "valid SSIM",
    "normal": "valid SSIM",
}

NB201_DAG_DATASETS: tuple[str, ...] = ("cifar10", "cifar100", "ImageNet16-120")

CHAIN_OPS: tuple[str, ...] = ("nor_conv_3x3", "nor_conv_1x1", "avg_pool_3x3", "skip_connect", "none")
"""Chain ops in order: ``chain-3xL`` uses the first 3, ``chain-4xL`` the first 4, ``chain-5xL`` all 5."""

CHAIN_SHAPES: tuple[tuple[int, int], ...] = ((3, 3), (4, 3), (5, 3), (4, 4))
"""``(number of ops, number of layers)`` of the chain tasks: 27, 64, 125 and 256 architectures."""

CHAIN_EDGES: tuple[tuple[int, int], ...] = ((0, 1), (1, 2), (2, 3), (0, 3))
"""NB201 edge that layer ``i`` of a chain sets; every other edge of the cell is ``skip_connect``."""

TASKS: tuple[str, ...] = (
    "nb101-cifar10",
    "nb301-cifar10",
    "nlp-wikitext2",
    *(f"transnas-micro-{t}" for t in TRANSNAS_TASKS),
    *(f"transnas-macro-{t}" for t in TRANSNAS_TASKS),
    *(f"nb201-dag-{d}" for d in NB201_DAG_DATASETS),
    *(f"chain-{a}x{b}" for a, b in CHAIN_SHAPES),
)
"""Names of all tasks, for :func:`load`."""

FILES: dict[str, str] = {
    "nb101": "nb101_cifar10.csv.gz",
    "nb301": "nb301_cifar10.csv.gz",
    "nlp": "nbnlp_wikitext2.csv.gz",
    "micro": "transnas_micro.csv.gz",
    "macro": "transnas_macro.csv.gz",
}
"""The data files in ``bench/data`` (NB201 tasks read the tables bundled with ``agnet_bo``)."""


# -- helpers --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _nb201_adj() -> np.ndarray:
    """The fixed 8-node op-node adjacency of NB201 (read-only)."""
    adj = NB201Space().fixed_adjacency
    assert adj is not None
    return adj


def _read_csv(filename: str) -> list[dict[str, str]]:
    path = DATA_DIR / filename
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing; it ships with the repository (bench/data). "
            "Regenerate it with `python -m bench.suite_tasks --rebuild <benchdata folder>`."
        )
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _dedupe(
    space: SearchSpace, archs: Sequence[Architecture], columns: dict[str, Sequence[float]]
) -> tuple[list[Architecture], dict[str, np.ndarray], int]:
    """Merge entries with equal keys: keep the first architecture and the mean of each column.

    Returns the kept architectures (in order of first appearance), the merged columns and the
    number of entries merged away.
    """
    first: dict[str, int] = {}
    group = np.empty(len(archs), dtype=np.int64)
    kept: list[Architecture] = []
    for i, arch in enumerate(archs):
        k = space.key(arch)
        g = first.setdefault(k, len(first))
        if g == len(kept):
            kept.append(arch)
        group[i] = g
    counts = np.bincount(group, minlength=len(kept)).astype(float)
    out = {
        name: np.bincount(group, weights=np.asarray(col, dtype=float), minlength=len(kept)) / counts
        for name, col in columns.items()
    }
    return kept, out, len(archs) - len(kept)


def _fresh(task: TaskData) -> TaskData:
    """A copy that callers may modify without touching the cached task."""
    return TaskData(
        task.name,
        task.base_space,
        list(task.archs),
        {k: v.copy() for k, v in task.values.items()},
        task.note,
    )


# -- NAS-Bench-101 --------------------------------------------------------------------------------

NB101_CODES: tuple[str, ...] = (INPUT, OUTPUT, "maxpool3x3", "conv1x1-bn-relu", "conv3x3-bn-relu")
"""NASLib's NB101 op codes 0..4 (the ``ops`` column of ``nb101_cifar10.csv.gz``)."""


@lru_cache(maxsize=1)
def _nb101() -> tuple[TaskData, str]:
    """NB101Space; 500 NASLib specs, merged by key (mean of the repeats' validation accuracies).

    NASLib's query returns one of NAS-Bench-101's 3 training repeats at random, so one cell may
    appear with up to 3 different accuracies; the value of a cell is their mean. The kept
    architecture is the pruned form of its first spec.
    """
    space = NB101Space()
    rows = _read_csv(FILES["nb101"])
    archs, vals = [], []
    for r in rows:
        matrix = np.frombuffer(r["adjacency"].encode(), dtype=np.uint8).reshape(7, 7) - ord("0")
        ops = [NB101_CODES[int(c)] for c in r["ops"]]
        archs.append(space.prune(space.from_spec(matrix, ops)))
        vals.append(float(r["val_accuracy"]))
    kept, values, merged = _dedupe(space, archs, {"valid": vals})
    task = TaskData(
        "nb101-cifar10",
        space,
        kept,
        values,
        f"bench/data/{FILES['nb101']} (NASLib NB-Suite-Zero NB101 subset): CIFAR-10 validation accuracy (%), 108 epochs, mean over duplicate specs",
    )
    return task, f"{len(rows)} specs -> {len(kept)} distinct cells ({merged} merged: isomorphic or dead-node variants)"


# -- NAS-Bench-301 --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _nb301() -> tuple[TaskData, str]:
    """DARTSSpace; the 725 trained NB301 architectures (NASLib compact keys), CIFAR-10 validation accuracy."""
    space = DARTSSpace()
    rows = _read_csv(FILES["nb301"])
    archs = [space.from_compact(r["compact"]) for r in rows]
    kept, values, merged = _dedupe(space, archs, {"valid": [float(r["val_accuracy"]) for r in rows]})
    task = TaskData(
        "nb301-cifar10",
        space,
        kept,
        values,
        f"bench/data/{FILES['nb301']} (NASLib NB-Suite-Zero NB301 subset, real training runs): CIFAR-10 validation accuracy (%)",
    )
    return task, f"{len(rows)} architectures -> {len(kept)} distinct ({merged} merged)"


# -- NAS-Bench-NLP --------------------------------------------------------------------------------

NLP_CELL_OPS: tuple[str, ...] = (
    "linear",
    "blend",
    "elementwise_prod",
    "elementwise_sum",
    "activation_tanh",
    "activation_sigm",
    "activation_leaky_relu",
)
"""The operations of NAS-Bench-NLP cell nodes."""

NLP_MAX_STATES = 3
"""NAS-Bench-NLP cells carry at most 3 hidden states (``h_prev_0..2`` / ``h_new_0..2``)."""

NLP_SOURCES: tuple[str, ...] = ("x", *(f"h_prev_{k}" for k in range(NLP_MAX_STATES)))
NLP_OUTPUTS: tuple[str, ...] = tuple(f"h_new_{k}" for k in range(NLP_MAX_STATES))
NLP_OPS: tuple[str, ...] = NLP_CELL_OPS + NLP_SOURCES + NLP_OUTPUTS
NLP_MAX_NODES = 26
"""Input + 4 source nodes + at most 16 cell nodes + 3 state markers + output (the data need 24)."""

_OUT_RE = re.compile(r"h_new_(\d+)")


class UnrepresentableCell(ValueError):
    """A NAS-Bench-NLP recipe that the DAG form below cannot express."""


def nlp_recipe_to_arch(recipe: dict[str, dict[str, object]]) -> Architecture:
    """A NAS-Bench-NLP recurrent cell (its ``recepie``) as a node-labelled DAG.

    Layout, in topological order:

    * node 0, ``input``: a virtual source that feeds one node per cell input used by the recipe,
      labelled ``x`` (the token embedding) or ``h_prev_k`` (hidden state ``k`` of the previous
      step), so which input an operation reads is kept;
    * one node per recipe node, labelled by its operation (:data:`NLP_CELL_OPS`), with an edge
      from each of its inputs;
    * one marker node ``h_new_k`` per new hidden state, fed by the recipe node ``h_new_k``; all
      markers feed ``output``. The markers keep which computed node is which state (``h_new_0``
      is the cell's visible output and ``h_new_k`` becomes ``h_prev_k`` at the next step).

    What the DAG does not keep: the ORDER of a node's inputs. It matters only for ``blend``
    (``z * a + (1 - z) * b`` of inputs ``z, a, b``); ``linear`` (a sum of one linear map per
    input) and the element-wise ops are symmetric. Recipe nodes not on a path to a new state are
    dead computation and are pruned by the space, like NB101's dead nodes.

    Raises:
        UnrepresentableCell: For an unknown operation, an input that is neither a recipe node nor
            one of :data:`NLP_SOURCES`, a node reading one input twice, a cycle, or new states
            that are not ``h_new_0 .. h_new_m`` (``m < 3``).
    """
    for name, node in recipe.items():
        if node.get("op") not in NLP_CELL_OPS:
            raise UnrepresentableCell(f"node {name!r} has unknown op {node.get('op')!r}")
        if name in NLP_SOURCES:
            raise UnrepresentableCell(f"recipe node {name!r} shadows a cell input")
    inputs = {name: list(node["input"]) for name, node in recipe.items()}
    used = {i for ins in inputs.values() for i in ins if i not in recipe}
    unknown = sorted(used - set(NLP_SOURCES))
    if unknown:
        raise UnrepresentableCell(f"unknown cell input(s) {unknown}")
    states = sorted((int(m.group(1)), name) for name in recipe if (m := _OUT_RE.fullmatch(name)))
    if [k for k, _ in states] != list(range(len(states))) or not 1 <= len(states) <= NLP_MAX_STATES:
        raise UnrepresentableCell(f"new states {[s for _, s in states]} are not h_new_0..h_new_m, m < {NLP_MAX_STATES}")
    repeated = sorted(n for n, ins in inputs.items() if len(set(ins)) != len(ins))
    if repeated:
        raise UnrepresentableCell(f"node(s) {repeated} read one input twice (a DAG has no parallel edges)")
    # Kahn's algorithm in the recipe's own order, so equal recipes give equal matrices
    order: list[str] = []
    pending = dict(inputs)
    while pending:
        ready = [n for n, ins in pending.items() if all(i not in pending for i in ins)]
        if not ready:
            raise UnrepresentableCell(f"cycle among {sorted(pending)}")
        order.extend(ready)
        for n in ready:
            del pending[n]
    sources = [s for s in NLP_SOURCES if s in used]
    names = [INPUT, *sources, *order, *(f"<{s}>" for _, s in states), OUTPUT]
    labels = [INPUT, *sources, *(str(recipe[n]["op"]) for n in order), *(s for _, s in states), OUTPUT]
    pos = {n: i for i, n in enumerate(names)}
    adj = np.zeros((len(names), len(names)), dtype=np.uint8)
    for s in sources:
        adj[0, pos[s]] = 1
    for n in order:
        for i in inputs[n]:
            adj[pos[i], pos[n]] = 1
    for _, s in states:
        adj[pos[s], pos[f"<{s}>"]] = 1
        adj[pos[f"<{s}>"], -1] = 1
    return Architecture(labels, adj)


def nlp_space() -> DAGSpace:
    """The free-edge DAGSpace the NAS-Bench-NLP cells live in (no constraint)."""
    return DAGSpace(ops=NLP_OPS, num_nodes=(2, NLP_MAX_NODES), name="NB-NLP cells")


@lru_cache(maxsize=1)
def _nlp() -> tuple[TaskData, str]:
    """NAS-Bench-NLP WikiText-2: minus the validation loss (log-perplexity) after the last (50th) epoch.

    Runs whose status is not ``OK`` (training diverged, ``loss is nan!``) have no final loss and
    are dropped. ``test`` is minus the test loss at the same epoch. Cells with equal keys are
    merged, their losses averaged: in this data every merged group is one cell trained more than
    once (recipes equal up to node names and input order; none differs in ``blend`` input order
    and no recipe has dead nodes).
    """
    space = nlp_space()
    rows = _read_csv(FILES["nlp"])
    archs, val, test = [], [], []
    diverged, unrepresentable = [], []
    for r in rows:
        if r["status"] != "OK" or not r["final_val_loss"] or not r["final_test_loss"]:
            diverged.append(f"{r['recepie_id']} ({r['status']}, {r['epochs_logged']} epochs)")
            continue
        try:
            arch = space.prune(nlp_recipe_to_arch(json.loads(r["recepie"])))
            space.validate(arch)
        except (UnrepresentableCell, InvalidArchitectureError) as exc:
            unrepresentable.append(f"{r['recepie_id']}: {exc}")
            continue
        archs.append(arch)
        val.append(-float(r["final_val_loss"]))
        test.append(-float(r["final_test_loss"]))
    kept, values, merged = _dedupe(space, archs, {"valid": val, "test": test})
    task = TaskData(
        "nlp-wikitext2",
        space,
        kept,
        values,
        f"bench/data/{FILES['nlp']} (NAS-Bench-NLP WikiText-2 logs): valid = -validation loss (log-perplexity) at epoch 50, test = -test loss",
    )
    info = (
        f"{len(rows)} runs; dropped {len(diverged)} diverged [{'; '.join(diverged)}], "
        f"{len(unrepresentable)} unrepresentable{' [' + '; '.join(unrepresentable) + ']' if unrepresentable else ''}; "
        f"{len(archs)} cells -> {len(kept)} distinct keys ({merged} merged)"
    )
    return task, info


# -- TransNAS-Bench-101 ---------------------------------------------------------------------------

MICRO_OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
"""TransNAS micro op codes 0..3 (TransNAS-Bench-101 cell codes: 0 zero, 1 skip, 2 1x1 conv, 3 3x3 conv)."""

MACRO_OPS: tuple[str, ...] = ("m1_keep", "m2_widen", "m3_down", "m4_down_widen", "absent")
"""TransNAS macro module codes 1..4 and the padding op of an absent 5th / 6th module.

Code 1 keeps resolution and channels, 2 doubles the channels, 3 halves the resolution (stride 2),
4 does both (TransNAS-Bench-101 ``MacroNet``: channels double for codes 2 and 4, stride 2 for 3 and 4).
"""


def micro_space() -> DAGSpace:
    """The TransNAS-Bench-101 micro cell: NB201's 8-node op-node graph with 4 ops (4,096 cells)."""
    return DAGSpace(ops=MICRO_OPS, num_nodes=8, fixed_adjacency=_nb201_adj(), name="TransNAS-micro")


def micro_arch(code: str) -> Architecture:
    """The cell of a 6-digit micro code in NB201 arch-string edge order (TransNAS ``A_BC_DEF``)."""
    if len(code) != 6 or any(c not in "0123" for c in code):
        raise ValueError(f"a TransNAS micro code is 6 digits 0..3, got {code!r}")
    return Architecture((INPUT, *(MICRO_OPS[int(c)] for c in code), OUTPUT), _nb201_adj())


def macro_is_valid(arch: Architecture) -> bool:
    """TransNAS-Bench-101's macro rules on the padded 6-layer chain (3,256 skeletons).

    4 to 6 modules (``absent`` only as a suffix), 1 to 4 of them halve the resolution (codes 3, 4)
    and 1 to 3 double the channels (codes 2, 4).
    """
    ops = arch.ops[1:-1]
    n = ops.index("absent") if "absent" in ops else len(ops)
    if n < 4 or any(op != "absent" for op in ops[n:]):
        return False
    down = sum(op in ("m3_down", "m4_down_widen") for op in ops[:n])
    widen = sum(op in ("m2_widen", "m4_down_widen") for op in ops[:n])
    return 1 <= down <= 4 and 1 <= widen <= 3


def macro_space() -> DAGSpace:
    """TransNAS macro skeletons: a fixed chain of 6 layers, ``absent`` padding, :func:`macro_is_valid`.

    A free-edge chain space of variable length would need a "chains only" constraint that random
    DAG sampling almost never satisfies, so the padded fixed chain is used: every skeleton has one
    representation (``absent`` only at the end) and ``sample`` accepts about 21 % of its draws.
    """
    return DAGSpace.chain(MACRO_OPS, num_layers=6, constraint=macro_is_valid, name="TransNAS-macro")


def macro_arch(code: str) -> Architecture:
    """The padded chain of a 4- to 6-digit macro code such as ``"41414"``."""
    if not 4 <= len(code) <= 6 or any(c not in "1234" for c in code):
        raise ValueError(f"a TransNAS macro code is 4 to 6 digits 1..4, got {code!r}")
    ops = [MACRO_OPS[int(c) - 1] for c in code] + ["absent"] * (6 - len(code))
    return Architecture((INPUT, *ops, OUTPUT), np.eye(8, k=1, dtype=np.uint8))


@lru_cache(maxsize=2)
def _transnas_rows(kind: str) -> list[dict[str, str]]:
    return _read_csv(FILES[kind])


@cache
def _transnas(kind: str, task_name: str) -> tuple[TaskData, str]:
    space = micro_space() if kind == "micro" else macro_space()
    build = micro_arch if kind == "micro" else macro_arch
    rows = _transnas_rows(kind)
    have = [r for r in rows if r[task_name] != ""]
    archs = [build(r["arch"]) for r in have]
    kept, values, merged = _dedupe(space, archs, {"valid": [float(r[task_name]) for r in have]})
    task = TaskData(
        f"transnas-{kind}-{task_name}",
        space,
        kept,
        values,
        f"bench/data/{FILES[kind]} column {task_name} (NASLib TransNAS-Bench-101 {kind} subset): {TRANSNAS_METRIC[task_name]}",
    )
    missing = len(rows) - len(have)
    info = f"{len(have)} architectures with a value ({missing} of the file's {len(rows)} have none for this task; {merged} merged)"
    return task, info


# -- NAS-Bench-201 as free-edge DAGs --------------------------------------------------------------

NB201_DAG_OPS: tuple[str, ...] = ("nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3", "skip_connect")


def nb201_free_space() -> DAGSpace:
    """The unconstrained free-edge space the NB201 DAGs are keyed in."""
    return DAGSpace(ops=NB201_DAG_OPS, num_nodes=(2, 8), name="NB201-DAG-free")


def nb201_cell_to_dag(cell: Architecture, free: DAGSpace) -> Architecture | None:
    """Drop the ``none`` op nodes of an NB201 cell and prune; ``None`` if input cannot reach output.

    The reference definition; the task itself uses the equivalent, faster :func:`_nb201_groups`.
    """
    keep = [i for i, op in enumerate(cell.ops) if op != "none"]
    arch = Architecture([cell.ops[i] for i in keep], cell.adjacency[np.ix_(keep, keep)])
    try:
        return free.prune(arch)
    except InvalidArchitectureError:
        return None


def _live(adj: np.ndarray) -> np.ndarray:
    """Nodes on a path from node 0 to the last node of a small upper-triangular 0/1 matrix."""
    n = len(adj)
    fwd = np.zeros(n, dtype=bool)
    fwd[0] = True
    for v in range(1, n):
        fwd[v] = bool((adj[:v, v] & fwd[:v]).any())
    bwd = np.zeros(n, dtype=bool)
    bwd[-1] = True
    for v in range(n - 2, -1, -1):
        bwd[v] = bool((adj[v, v + 1 :] & bwd[v + 1 :]).any())
    return fwd & bwd


def _unlabelled(adj: np.ndarray) -> Architecture:
    n = len(adj)
    return Architecture((INPUT, *(NB201_DAG_OPS[0],) * (n - 2), OUTPUT), adj)


def _isomorphisms(src: np.ndarray, dst: np.ndarray, first_only: bool) -> list[tuple[int, ...]]:
    """Maps ``phi`` (input and output fixed) with ``src[i, j] == dst[phi[i], phi[j]]``; brute force, <= 6 hidden nodes."""
    n = len(src)
    if len(dst) != n or src.sum() != dst.sum():
        return []
    sig_src = [(int(src[:, i].sum()), int(src[i].sum())) for i in range(n)]
    sig_dst = [(int(dst[:, i].sum()), int(dst[i].sum())) for i in range(n)]
    found = []
    for hidden in itertools.permutations(range(1, n - 1)):
        phi = (0, *hidden, n - 1)
        if any(sig_src[i] != sig_dst[phi[i]] for i in range(n)):
            continue
        if np.array_equal(dst[np.ix_(phi, phi)], src):
            found.append(phi)
            if first_only:
                break
    return found


class NB201DagConstraint:
    """Accepts exactly the DAGs that some NB201 cell reduces to (picklable).

    Every op node of a reduced cell comes from a non-``none`` edge, which may carry any of the 4
    other ops, so the reduced DAGs are exactly the labellings of the reduced skeletons: a DAG is
    accepted iff its unlabelled graph is isomorphic to one of them. This is the same set as
    ``free.key(arch) in keys`` over the task's DAGs (checked by the self-check), without computing
    8,764 canonical forms up front; :attr:`keys` computes that frozenset on demand.
    """

    def __init__(self, free: DAGSpace, skeleton_keys: Iterable[str], dags: Sequence[Architecture]) -> None:
        self.free = free
        self.skeleton_keys = frozenset(skeleton_keys)
        self.dags = tuple(dags)
        self._keys: frozenset[str] | None = None

    @property
    def keys(self) -> frozenset[str]:
        """``free.key`` of every DAG of the task (computed on first use, a few seconds)."""
        if self._keys is None:
            self._keys = frozenset(self.free.key(d) for d in self.dags)
        return self._keys

    def __repr__(self) -> str:
        return f"NB201DagConstraint({len(self.dags)} DAGs on {len(self.skeleton_keys)} skeletons)"

    def __call__(self, arch: Architecture) -> bool:
        try:
            pruned = self.free.prune(arch)
            return self.free.key(_unlabelled(pruned.adjacency)) in self.skeleton_keys
        except InvalidArchitectureError:
            return False


@lru_cache(maxsize=1)
def _nb201_groups() -> tuple[list[Architecture], np.ndarray, NB201DagConstraint]:
    """The distinct DAGs (in order of their first NB201 index), the DAG of every cell (-1: dropped), the constraint.

    Equivalent to grouping :func:`nb201_cell_to_dag` by ``free.key``, but fast: the reduced
    skeleton depends only on which of the 6 edges are ``none`` (64 patterns); skeletons are matched
    up to isomorphism once, and two labellings of one skeleton are the same DAG iff they differ by
    an automorphism of the skeleton.
    """
    free = nb201_free_space()
    adj8 = _nb201_adj().astype(bool)
    # per none-pattern: kept positions, skeleton, class representative, isomorphism onto it
    pattern_info: dict[tuple[bool, ...], tuple[list[int], np.ndarray, int, tuple[int, ...]] | None] = {}
    reps: list[tuple[np.ndarray, list[tuple[int, ...]]]] = []  # (skeleton, its automorphisms)
    rep_of_key: dict[str, int] = {}
    for pattern in itertools.product((False, True), repeat=6):
        keep = [0, *(1 + i for i in range(6) if pattern[i]), 7]
        sub = adj8[np.ix_(keep, keep)]
        live = _live(sub)
        if not live[0]:
            pattern_info[pattern] = None
            continue
        pos = [keep[i] for i in np.flatnonzero(live)]
        skel = adj8[np.ix_(pos, pos)].astype(np.uint8)
        skey = free.key(_unlabelled(skel))
        r = rep_of_key.get(skey)
        if r is None:
            r = rep_of_key[skey] = len(reps)
            reps.append((skel, _isomorphisms(skel, skel, first_only=False)))
        phi = _isomorphisms(skel, reps[r][0], first_only=True)
        assert phi, "equal keys but no isomorphism"
        pattern_info[pattern] = (pos, skel, r, phi[0])

    first: dict[tuple[int, tuple[str, ...]], int] = {}
    dags: list[Architecture] = []
    group = np.full(15625, -1, dtype=np.int64)
    for i, cell in enumerate(NB201Space().all()):
        ops = cell.ops
        info = pattern_info[tuple(op != "none" for op in ops[1:7])]
        if info is None:
            continue
        pos, skel, r, phi = info
        labels = [""] * len(pos)
        for j, p in enumerate(pos):
            labels[phi[j]] = ops[p]
        ident = (r, min(tuple(labels[s] for s in sigma) for sigma in reps[r][1]))
        g = first.setdefault(ident, len(first))
        if g == len(dags):
            dags.append(Architecture([ops[p] for p in pos], skel))
        group[i] = g
    constraint = NB201DagConstraint(free, rep_of_key, dags)
    return dags, group, constraint


@lru_cache(maxsize=1)
def _nb201_dag_space() -> DAGSpace:
    return DAGSpace(ops=NB201_DAG_OPS, num_nodes=(2, 8), constraint=_nb201_groups()[2], name="NB201-DAG")


@cache
def _nb201_dag(dataset: str) -> tuple[TaskData, str]:
    """NB201 cells as free-edge DAGs: value of a DAG = MEAN over the NB201 cells that map to it.

    A cell's DAG: drop the op nodes labelled ``none``, then prune the nodes not on an
    input-output path (:func:`nb201_cell_to_dag`). Cells that differ only in edges the ``none``
    ops cut off (dead edges) give the same DAG; the DAG's ``valid`` is the mean validation
    accuracy of those cells and ``test`` their mean test accuracy
    (``agnet_bo.benchmarks.NB201(dataset)``, 200 epochs). Cells whose output cannot be reached
    from the input are dropped.
    """
    dags, group, constraint = _nb201_groups()
    bench = agnet_bo.benchmarks.NB201(dataset)
    ok = group >= 0
    counts = np.bincount(group[ok], minlength=len(dags)).astype(float)
    values = {
        out: np.bincount(group[ok], weights=bench.table(metric)[ok], minlength=len(dags)) / counts
        for out, metric in (("valid", "valid-accuracy"), ("test", "test-accuracy"))
    }
    task = TaskData(
        f"nb201-dag-{dataset}",
        _nb201_dag_space(),
        list(dags),
        values,
        f"agnet_bo.benchmarks.NB201({dataset!r}) valid-/test-accuracy (%), 200 epochs, mean over the NB201 cells of each DAG",
    )
    info = (
        f"15625 NB201 cells: {int((~ok).sum())} dropped (output unreachable), {int(ok.sum())} -> {len(dags)} distinct DAGs "
        f"on {len(constraint.skeleton_keys)} skeletons (cells per DAG: max {int(counts.max())}, "
        f"{int((counts == 1).sum())} DAGs with one cell)"
    )
    return task, info


def check_nb201_dag_grouping(samples: int = 1000, seed: int = 0) -> str:
    """Cross-check the fast grouping and constraint against the reference definition (slow, ~10 s).

    * every cell's :func:`nb201_cell_to_dag` has the ``free.key`` of its group's DAG, and the
      groups' keys are distinct;
    * the constraint agrees with ``free.key(arch) in keys`` on the task's DAGs and on ``samples``
      random DAGs of the free space.
    """
    dags, group, constraint = _nb201_groups()
    free = constraint.free
    keys = [free.key(d) for d in dags]
    assert len(set(keys)) == len(keys), "two groups share a key"
    for i, cell in enumerate(NB201Space().all()):
        dag = nb201_cell_to_dag(cell, free)
        if dag is None:
            assert group[i] < 0, i
        else:
            assert group[i] >= 0 and free.key(dag) == keys[group[i]], i
    key_set = frozenset(keys)
    assert all(constraint(d) for d in dags)
    # random DAGs (almost all outside) and one-edge flips of the task's DAGs (inside and outside)
    rng = np.random.default_rng(seed)
    probes = list(free.sample(samples, seed=seed))
    for j in rng.choice(len(dags), size=samples, replace=False):
        d = dags[int(j)]
        n = d.num_nodes
        u, v = sorted(rng.choice(n, size=2, replace=False))
        adj = d.adjacency.copy()
        adj[u, v] ^= 1
        probe = Architecture(d.ops, adj)
        if free.is_valid(probe):
            probes.append(probe)
    inside = [free.key(a) in key_set for a in probes]
    assert all(constraint(a) == ins for a, ins in zip(probes, inside, strict=True))
    return (
        f"NB201-DAG: grouping matches nb201_cell_to_dag + free.key on all 15625 cells; the constraint matches "
        f"`free.key(a) in keys` on {len(probes)} probe DAGs ({sum(inside)} inside, {len(probes) - sum(inside)} outside)"
    )


# -- chains scored by NAS-Bench-201 ---------------------------------------------------------------


def chain_to_nb201(ops: Sequence[str]) -> Architecture:
    """The NB201 cell of a chain: layer ``i`` sets edge ``CHAIN_EDGES[i]``, other edges ``skip_connect``."""
    if not 1 <= len(ops) <= len(CHAIN_EDGES):
        raise ValueError(f"a chain has 1..{len(CHAIN_EDGES)} layers, got {len(ops)}")
    edge_op = dict.fromkeys(NB201_EDGES, "skip_connect")
    edge_op.update(zip(CHAIN_EDGES, ops, strict=False))
    return Architecture((INPUT, *(edge_op[e] for e in NB201_EDGES), OUTPUT), _nb201_adj())


@cache
def _chain(num_ops: int, num_layers: int) -> tuple[TaskData, str]:
    """``DAGSpace.chain`` over the first ``num_ops`` of :data:`CHAIN_OPS`, scored as NB201 CIFAR-10 cells.

    Layer ``i`` (0-based) sets NB201 edge ``CHAIN_EDGES[i]`` = (0→1), (1→2), (2→3), (0→3); the
    remaining edges are ``skip_connect``, so the cell always connects input and output and every
    chain maps to a different NB201 cell. ``valid`` / ``test`` are that cell's CIFAR-10
    validation / test accuracy (``agnet_bo.benchmarks.NB201("cifar10")``, 200 epochs).
    """
    ops = CHAIN_OPS[:num_ops]
    space = DAGSpace.chain(ops, num_layers=num_layers, name=f"chain-{num_ops}x{num_layers}")
    nb201 = NB201Space()
    bench = agnet_bo.benchmarks.NB201("cifar10")
    valid_col, test_col = bench.table("valid-accuracy"), bench.table("test-accuracy")
    adj = space.fixed_adjacency
    archs, rows = [], []
    for combo in itertools.product(ops, repeat=num_layers):
        archs.append(Architecture((INPUT, *combo, OUTPUT), adj))
        rows.append(nb201.index(chain_to_nb201(combo)))
    idx = np.array(rows)
    assert len(set(rows)) == len(rows), "chain -> NB201 map must be injective"
    task = TaskData(
        f"chain-{num_ops}x{num_layers}",
        space,
        archs,
        {"valid": valid_col[idx].copy(), "test": test_col[idx].copy()},
        "agnet_bo.benchmarks.NB201('cifar10') valid-/test-accuracy (%) of the NB201 cell each chain maps to "
        f"(layers -> edges {', '.join(f'{a}->{b}' for a, b in CHAIN_EDGES[:num_layers])}, other edges skip_connect)",
    )
    return task, f"{len(archs)} chains -> {len(set(rows))} distinct NB201 cells"


# -- public entry point ---------------------------------------------------------------------------


def _loader(name: str) -> Callable[[], tuple[TaskData, str]]:
    if name == "nb101-cifar10":
        return _nb101
    if name == "nb301-cifar10":
        return _nb301
    if name == "nlp-wikitext2":
        return _nlp
    for kind in ("micro", "macro"):
        prefix = f"transnas-{kind}-"
        if name.startswith(prefix) and name[len(prefix) :] in TRANSNAS_TASKS:
            return partial(_transnas, kind, name[len(prefix) :])
    if name.startswith("nb201-dag-") and name[len("nb201-dag-") :] in NB201_DAG_DATASETS:
        return partial(_nb201_dag, name[len("nb201-dag-") :])
    m = re.fullmatch(r"chain-(\d)x(\d)", name)
    if m and (int(m.group(1)), int(m.group(2))) in CHAIN_SHAPES:
        return partial(_chain, int(m.group(1)), int(m.group(2)))
    near = [t for t in TASKS if t.lower() == name.lower()]
    hint = f" Did you mean {near[0]!r}?" if near else ""
    raise KeyError(f"Unknown task {name!r}.{hint} Known tasks: {', '.join(TASKS)}.")


def load(name: str) -> TaskData:
    """Load one task by name (see :data:`TASKS`); a fresh :class:`TaskData` each call.

    Raises:
        KeyError: If ``name`` is not a task.
    """
    return _fresh(_loader(name)()[0])


# -- regenerating bench/data from the source folder ------------------------------------------------


def _write_csv_gz(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    # mtime=0 and no file name in the header: the same input gives byte-identical output
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(buf.getvalue().encode("utf-8"))


def build_data(source: Path, dest: Path = DATA_DIR) -> None:
    """Regenerate the ``bench/data`` CSV files from a ``benchdata`` folder (see ``PROVENANCE.md``)."""
    dest.mkdir(parents=True, exist_ok=True)

    nb101 = json.loads((source / "nasbench101" / "naslib_zc_nasbench101_subset.json").read_text())["nasbench101"]["cifar10"]
    rows: list[list[object]] = []
    for key, entry in nb101.items():
        spec = [int(x) for x in key.strip("()").split(",")]
        assert len(spec) == 56
        rows.append(["".join(map(str, spec[:49])), "".join(map(str, spec[49:])), repr(float(entry["val_accuracy"]))])
    _write_csv_gz(dest / FILES["nb101"], ["adjacency", "ops", "val_accuracy"], rows)

    nb301 = json.loads((source / "nasbench301" / "naslib_zc_nasbench301_subset.json").read_text())["cifar10"]
    _write_csv_gz(
        dest / FILES["nb301"],
        ["compact", "val_accuracy"],
        [[key, repr(float(entry["val_accuracy"]))] for key, entry in nb301.items()],
    )

    with (source / "nasbench_nlp" / "nbnlp_wikitext2_summary.csv").open(newline="", encoding="utf-8") as fh:
        nlp = list(csv.DictReader(fh))
    cols = ["recepie_id", "status", "epochs_logged", "final_val_loss", "best_val_loss", "final_test_loss", "log_file", "recepie"]
    with zipfile.ZipFile(source / "nasbench_nlp" / "train_logs_wikitext-2_logs.zip") as zf:
        logs = {Path(n).name for n in zf.namelist()}
    assert all(r["log_file"] in logs for r in nlp), "summary rows must match the original logs"
    _write_csv_gz(dest / FILES["nlp"], cols, [[r[c] for c in cols] for r in nlp])

    for kind in ("micro", "macro"):
        data = json.loads((source / "transnasbench101" / f"naslib_zc_transbench101_{kind}_subset.json").read_text())
        codes: dict[str, dict[str, float]] = {}
        for task_name in TRANSNAS_TASKS:
            for key, entry in data[task_name].items():
                digits = [int(x) for x in key.strip("()").split(",")]
                if kind == "micro":
                    code = "".join(map(str, digits))
                else:  # NASLib pads macro codes with trailing zeros; TransNAS drops them
                    n = len(digits)
                    while n and digits[n - 1] == 0:
                        n -= 1
                    assert 0 not in digits[:n], key
                    code = "".join(map(str, digits[:n]))
                codes.setdefault(code, {})[task_name] = float(entry["val_accuracy"])
        _write_csv_gz(
            dest / FILES[kind],
            ["arch", *TRANSNAS_TASKS],
            [[code, *(repr(v[t]) if t in v else "" for t in TRANSNAS_TASKS)] for code, v in codes.items()],
        )


# -- self-check ------------------------------------------------------------------------------------


def _self_check(names: Sequence[str]) -> int:
    failures = 0
    infos: list[tuple[str, str]] = []
    print(f"{'task':34s} {'archs':>6s} {'keys':>6s} {'distinct y':>10s} {'best valid':>12s} {'#best':>5s} {'test@best':>10s} {'load s':>7s}  valid?")
    for name in names:
        t0 = time.perf_counter()
        task, info = _loader(name)()
        dt = time.perf_counter() - t0
        task = _fresh(task)
        infos.append((name, info))
        space = task.base_space
        keys = {space.key(a) for a in task.archs}
        bad = 0
        for arch in task.archs:
            try:
                space.validate(arch)
            except InvalidArchitectureError:
                bad += 1
        y = task.values["valid"]
        ok = (
            bad == 0
            and len(keys) == len(task.archs)
            and all(len(v) == len(task.archs) and np.isfinite(v).all() for v in task.values.values())
            and task.name == name
            and "\n" not in task.note
        )
        failures += not ok
        best = float(y.max())
        n_best = int((y == best).sum())
        test = f"{task.values['test'][int(np.argmax(y))]:10.4f}" if "test" in task.values else f"{'-':>10s}"
        print(
            f"{name:34s} {len(task.archs):6d} {len(keys):6d} {len(np.unique(y)):10d} {best:12.4f} {n_best:5d} {test} {dt:7.2f}  "
            f"{'ok' if ok else f'FAIL ({bad} invalid)'}"
        )
    print("(load s: in this process; files and the NB201 grouping are parsed once and shared between tasks)\n")
    for name, info in infos:
        print(f"{name}: {info}")
    if any(n.startswith("nb201-dag-") for n in names):
        print()
        try:
            print(check_nb201_dag_grouping())
        except AssertionError as exc:
            failures += 1
            print(f"NB201-DAG cross-check FAILED: {exc}")
    size = sum(p.stat().st_size for p in DATA_DIR.glob("*") if p.is_file())
    print(f"\nbench/data: {size / 1024:.1f} KiB in {len(list(DATA_DIR.glob('*')))} files")
    print("all tasks OK" if failures == 0 else f"{failures} task(s) FAILED")
    return 1 if failures else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rebuild", type=Path, metavar="BENCHDATA", help="regenerate bench/data from this folder first")
    parser.add_argument("tasks", nargs="*", help="tasks to check (default: all)")
    args = parser.parse_args(argv)
    if args.rebuild is not None:
        build_data(args.rebuild)
    return _self_check(args.tasks or TASKS)


if __name__ == "__main__":
    sys.exit(main())
