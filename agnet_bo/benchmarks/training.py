r"""Real-training benchmarks: build the proposed architecture, train it, measure it.

A tabular benchmark looks results up; here every :meth:`~TrainingBenchmark.evaluate` trains a
network from scratch on a CPU, so spaces too large to tabulate (NAS-Bench-101, DARTS, a user's
own) can be searched the way users search them. Two classes:

* :class:`TrainingBenchmark`: any search space with a network builder, any in-memory
  classification data (``x`` of shape ``n x 1 x H x W`` for the built-in image networks).
* :class:`MNIST1D`: the same on MNIST-1D (Greydanus, 2020), generated procedurally by the
  ``mnist1d`` package (``pip install "agnet-bo[mnist1d]"``; no download, ever).

Epochs are the fidelity. The learning rate follows one cosine schedule (Adam, annealed to zero
over the benchmark's full ``epochs``) whatever budget is asked, so a training of ``e`` epochs is
exactly the first ``e`` epochs of the full one: the values :meth:`~TrainingBenchmark.train`
yields after each epoch equal what :meth:`~TrainingBenchmark.evaluate` returns at that budget,
and a stopped training is a prefix of a complete one (what a pruner assumes). Every training is seeded by the
benchmark's ``seed`` and the architecture, so the same call gives the same accuracies on one
machine (``latency-ms`` and ``train-time`` are measured, hence noisy).

Example:
    >>> import numpy as np
    >>> from agnet_bo.spaces import NB101Space
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(60, 1, 4, 4)).astype("float32"), rng.integers(0, 3, 60)
    >>> bench = TrainingBenchmark(NB101Space(), (x[:40], y[:40]), (x[40:], y[40:]), epochs=2,
    ...                           network={"stem_channels": 4, "num_stacks": 1, "num_classes": 3})
    >>> arch = bench.space.sample(1, seed=0)[0]
    >>> [round(r["epoch"]) for r in bench.train(arch)]
    [1, 2]
    >>> sorted(bench.evaluate(arch))
    ['latency-ms', 'params', 'test-accuracy', 'train-time', 'valid-accuracy', 'valid-loss']
"""

from __future__ import annotations

import random
import statistics
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

import numpy as np

from agnet_bo._threads import torch_threads
from agnet_bo.architecture import Architecture
from agnet_bo.benchmarks.base import Benchmark, Direction
from agnet_bo.exceptions import InputError
from agnet_bo.spaces.base import SearchSpace

__all__ = ["TrainingBenchmark", "MNIST1D", "TRAINING_METRICS", "default_network_options", "load_mnist1d"]

TRAINING_METRICS: tuple[str, ...] = (
    "valid-accuracy", "test-accuracy", "valid-loss", "params", "latency-ms", "train-time",
)
"""What a training reports: accuracies in percent, the validation cross-entropy, the parameter
count, the median forward time of one sample in milliseconds and the training seconds."""

_DIRECTIONS: dict[str, Direction] = {
    "valid-accuracy": "maximize", "test-accuracy": "maximize", "valid-loss": "minimize",
    "params": "minimize", "latency-ms": "minimize", "train-time": "minimize",
}

Builder = Callable[[SearchSpace, Architecture], Any]
"""``build(space, arch) -> torch.nn.Module``: a network for an architecture (weights initialised
from torch's global generator, which the benchmark seeds)."""


def default_network_options(space: SearchSpace) -> dict[str, Any]:
    """Small-network options of :func:`agnet_bo.networks.build_network` for a space, sized so
    that one training on MNIST-1D takes seconds on one core while the cell still matters: the
    space's :meth:`~agnet_bo.spaces.SearchSpace.default_network_options`.

    NAS-Bench-101: 16 stem channels, 3 stacks of 1 cell; DARTS: 4 channels, 3 layers (a normal
    and two reduction cells), stem multiplier 1; NAS-Bench-201: 8 channels, 1 cell per stage; a
    :class:`~agnet_bo.spaces.DAGSpace`: 16 channels, 1 cell, and the ready-made factories
    (:data:`~agnet_bo.networks.NB201_OP_FACTORIES`, ``NB101_...``, ``DARTS_...``) for its
    operations when they cover them all. Other spaces: what they answer (``{}`` by default;
    without a network of their own, pass ``build=``).
    """
    return dict(space.default_network_options())


def _as_split(name: str, split: object) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(split, (tuple, list)) or len(split) != 2:
        raise InputError(f"`{name}` must be a pair (x, y) of arrays, got {type(split).__name__}.")
    x, y = np.asarray(split[0]), np.asarray(split[1])
    if x.ndim < 2 or not np.issubdtype(x.dtype, np.number):
        raise InputError(f"`{name}` inputs must be a numeric array of shape n x ..., got dtype {x.dtype} shape {x.shape}.")
    if y.ndim != 1 or len(y) != len(x) or not np.issubdtype(y.dtype, np.integer):
        raise InputError(
            f"`{name}` labels must be a 1-d integer array with one label per input ({len(x)}), "
            f"got dtype {y.dtype} shape {y.shape}."
        )
    if len(x) == 0:
        raise InputError(f"`{name}` is empty.")
    if y.min() < 0:
        raise InputError(f"`{name}` labels must be class indices >= 0, got {int(y.min())}.")
    return x.astype(np.float32), y.astype(np.int64)


class TrainingBenchmark(Benchmark):
    r"""Train each architecture on in-memory classification data and report what it reached.

    Args:
        space: The search space.
        train: ``(x, y)``: training inputs (``n x ...``, for the built-in networks
            ``n x C x H x W``) and integer labels.
        valid: ``(x, y)`` to select architectures on (``valid-accuracy``, ``valid-loss``).
        test: ``(x, y)`` to report on (``test-accuracy``); default: the validation data.
        epochs: The full budget (the fidelity's maximum; the learning-rate schedule's length),
            default 8.
        batch_size: Minibatch size, default 250.
        lr: Adam's initial learning rate, annealed to zero over ``epochs`` (cosine), default 1e-2.
        weight_decay: Adam's weight decay, default 1e-4.
        network: Options of :func:`agnet_bo.networks.build_network` (merged over
            :func:`default_network_options`; ``in_channels`` and ``num_classes`` are set from
            the data unless given).
        build: ``build(space, arch) -> nn.Module`` for a space without a built-in builder, or to
            take full control (``network`` is then ignored).
        seed: Seeds weight initialisation and data order, together with the architecture.
        num_threads: torch threads while training (restored afterwards); 1 is fastest for
            these small networks, and lets parallel workers share a machine.
        cache: Keep results per (architecture, epochs), so that asking again costs nothing.

    Shapes:
        ``x`` arrays are ``n x ...``; ``y`` arrays ``n``.
    """

    name = "training"

    def __init__(
        self,
        space: SearchSpace,
        train: tuple[Any, Any],
        valid: tuple[Any, Any],
        test: tuple[Any, Any] | None = None,
        *,
        epochs: int = 8,
        batch_size: int = 250,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        network: Mapping[str, Any] | None = None,
        build: Builder | None = None,
        seed: int = 0,
        num_threads: int | None = 1,
        cache: bool = True,
    ) -> None:
        if not isinstance(space, SearchSpace):
            raise InputError(f"`space` must be an agnet_bo.spaces.SearchSpace, got {type(space).__name__}.")
        self._space = space
        self._train = _as_split("train", train)
        self._valid = _as_split("valid", valid)
        self._test = _as_split("test", test) if test is not None else self._valid
        shapes = {s[0].shape[1:] for s in (self._train, self._valid, self._test)}
        if len(shapes) != 1:
            raise InputError(f"train, valid and test inputs must have one shape per sample, got {sorted(map(str, shapes))}.")
        self.epochs = self._positive_int("epochs", epochs)
        self.batch_size = self._positive_int("batch_size", batch_size)
        for name, v in (("lr", lr), ("weight_decay", weight_decay)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0 or (name == "lr" and v == 0):
                raise InputError(f"`{name}` must be a finite number {'> 0' if name == 'lr' else '>= 0'}, got {v!r}.")
        self.lr, self.weight_decay = float(lr), float(weight_decay)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError(f"`seed` must be a non-negative int, got {seed!r}.")
        self.seed = int(seed)
        self.num_threads = num_threads
        self.num_classes = int(max(self._train[1].max(), self._valid[1].max(), self._test[1].max())) + 1
        if build is not None and not callable(build):
            raise InputError(f"`build` must be callable as build(space, arch) -> nn.Module, got {type(build).__name__}.")
        self._build = build
        options = default_network_options(space)
        options.update(dict(network or {}))
        if len(self._train[0].shape) == 4:
            options.setdefault("in_channels", int(self._train[0].shape[1]))
        options.setdefault("num_classes", self.num_classes)
        self.network_options = options
        if build is None:
            self._check_builder()
        # keyed by (architecture key, epochs trained, schedule length): a training longer than
        # ``epochs`` anneals over its own length, so its early epochs are not the standard ones
        self._cache: dict[tuple[str, int, int], dict[str, float]] | None = {} if cache else None
        self._latency: dict[str, float] = {}

    @staticmethod
    def _positive_int(name: str, v: object) -> int:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise InputError(f"`{name}` must be a positive int, got {v!r}.")
        return int(v)

    def _check_builder(self) -> None:
        try:
            self._space.check_network_options(self.network_options)
        except InputError as exc:
            raise InputError(
                f"{exc} In a {type(self).__name__}, pass the network's options as network={{...}}, or "
                "build=lambda space, arch: <a torch.nn.Module for arch> (e.g. agnet_bo.networks.DAGNetwork(arch, ops, ...))."
            ) from exc

    # -- Benchmark interface --------------------------------------------------------------------
    @property
    def space(self) -> SearchSpace:
        return self._space

    @property
    def metrics(self) -> tuple[str, ...]:
        return TRAINING_METRICS

    def direction(self, metric: str) -> Direction:
        return _DIRECTIONS[self._check_metric(metric)]

    def optimum(self, metric: str) -> float:
        """Not known: nothing tabulates a real-training benchmark. Raises :class:`InputError`."""
        self._check_metric(metric)
        raise InputError(
            f"{self.name} trains networks; the best {metric!r} over the space is unknown (no exhaustive table). "
            "Compare methods by the values they reach instead of by regret."
        )

    def network(self, arch: Architecture) -> Any:
        """The untrained network of ``arch`` (weights from torch's global generator)."""
        self._space.validate(arch)
        if self._build is not None:
            return self._build(self._space, arch)
        from agnet_bo.networks import build_network

        return build_network(self._space, arch, **self.network_options)

    def _horizon(self, epochs: int) -> int:
        """The learning-rate schedule's length in epochs of a training of ``epochs``."""
        return max(self.epochs, epochs)

    def training_seed(self, arch: Architecture) -> int:
        """The seed of ``arch``'s training: the benchmark's seed and the architecture's key."""
        return zlib.crc32(f"{self.seed}:{self._space.key(arch)}".encode())

    def evaluate(
        self, arch: Any, metrics: str | Iterable[str] | None = None, *, epochs: int | None = None
    ) -> dict[str, float]:
        """Train ``arch`` for ``epochs`` (default: :attr:`epochs`) and report ``metrics``.

        Returns:
            ``{metric: value}``; accuracies in percent.
        """
        names = self._check_metrics(metrics)
        epochs = self.epochs if epochs is None else self._positive_int("epochs", epochs)
        key = (self._space.key(arch), epochs, self._horizon(epochs))
        result = self._cache.get(key) if self._cache is not None else None
        if result is None:
            *_, result = self.train(arch, epochs=epochs)
        return {m: float(result[m]) for m in names}

    def train(self, arch: Any, epochs: int | None = None) -> Iterator[dict[str, float]]:
        """Train ``arch`` and yield its metrics after every epoch: ``{"epoch": e, metric: value}``.

        Stop iterating to stop the training (what a pruner decides). Each epoch's values equal
        :meth:`evaluate` at ``epochs=e``: the learning-rate schedule spans the benchmark's
        :attr:`epochs` (or ``epochs`` if larger), whatever budget is asked.
        """
        import torch
        import torch.nn.functional as F

        self._space.validate(arch)
        epochs = self.epochs if epochs is None else self._positive_int("epochs", epochs)
        key = self._space.key(arch)
        seed = self.training_seed(arch)
        xs, ys = (torch.from_numpy(a) for a in self._train)
        with torch_threads(self.num_threads):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                net = self.network(arch)
            fmt = torch.channels_last if xs.dim() == 4 else torch.contiguous_format
            net = net.to(memory_format=fmt)  # faster for small convolutions on a CPU
            xs = xs.contiguous(memory_format=fmt)
            params = sum(p.numel() for p in net.parameters())
            opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            steps = sum(1 for i in range(0, len(ys), self.batch_size) if len(ys) - i >= 2)
            horizon = self._horizon(epochs)
            schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, steps * horizon))
            order = torch.Generator().manual_seed(seed)
            latency = self._measure_latency(net, key)
            spent = 0.0
            for epoch in range(1, epochs + 1):
                start = time.perf_counter()
                net.train()
                perm = torch.randperm(len(ys), generator=order)
                for i in range(0, len(ys), self.batch_size):
                    idx = perm[i : i + self.batch_size]
                    if len(idx) < 2:  # batch norm needs two samples
                        continue
                    opt.zero_grad(set_to_none=True)
                    F.cross_entropy(net(xs[idx]), ys[idx]).backward()
                    opt.step()
                    schedule.step()
                spent += time.perf_counter() - start
                valid_acc, valid_loss = self._score(net, self._valid)
                test_acc = valid_acc if self._test is self._valid else self._score(net, self._test)[0]
                result = {
                    "epoch": float(epoch), "valid-accuracy": valid_acc, "test-accuracy": test_acc,
                    "valid-loss": valid_loss, "params": float(params), "latency-ms": latency, "train-time": spent,
                }
                if self._cache is not None:
                    self._cache[(key, epoch, horizon)] = result
                yield dict(result)

    @staticmethod
    def _score(net: Any, split: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
        import torch
        import torch.nn.functional as F

        net.eval()
        with torch.no_grad():
            logits = net(torch.from_numpy(split[0]))
            y = torch.from_numpy(split[1])
            loss = float(F.cross_entropy(logits, y))
            acc = 100.0 * float((logits.argmax(1) == y).float().mean())
        return acc, loss

    def _measure_latency(self, net: Any, key: str, repeats: int = 15) -> float:
        """Median seconds x 1000 of a forward pass of one sample (eval mode), measured once per architecture."""
        import torch

        if key not in self._latency:
            x = torch.from_numpy(self._valid[0][:1])
            net.eval()
            times = []
            with torch.no_grad():
                for i in range(repeats + 3):
                    start = time.perf_counter()
                    net(x)
                    if i >= 3:
                        times.append(time.perf_counter() - start)
            self._latency[key] = 1000.0 * statistics.median(times)
        return self._latency[key]

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(space={self._space.name!r}, epochs={self.epochs}, "
            f"train={len(self._train[1])}, valid={len(self._valid[1])}, test={len(self._test[1])}, seed={self.seed})"
        )


@lru_cache(maxsize=4)
def _mnist1d_arrays(num_samples: int, data_seed: int) -> tuple[np.ndarray, ...]:
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        raise ImportError(
            'The MNIST-1D benchmark needs the mnist1d package: pip install "agnet-bo[mnist1d]" (or pip install mnist1d).'
        ) from None
    args = get_dataset_args()
    args.num_samples = num_samples
    args.seed = data_seed
    np_state, py_state = np.random.get_state(), random.getstate()
    try:  # make_dataset seeds numpy's and Python's global generators: leave the caller's alone
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return tuple(np.asarray(data[k]) for k in ("x", "y", "x_test", "y_test"))


def load_mnist1d(num_samples: int = 5000, data_seed: int = 42) -> dict[str, np.ndarray]:
    """MNIST-1D generated procedurally by ``mnist1d.data.make_dataset`` (no download).

    Args:
        num_samples: Samples in all (the package's default 5000: 4000 train, 1000 test).
        data_seed: The generator's seed (42: the package's published dataset).

    Returns:
        ``{"x": n x 40, "y": n, "x_test": m x 40, "y_test": m}`` (float signals, int labels).
        Neither numpy's nor Python's global random state is changed.
    """
    x, y, x_test, y_test = _mnist1d_arrays(int(num_samples), int(data_seed))
    return {"x": x.copy(), "y": y.copy(), "x_test": x_test.copy(), "y_test": y_test.copy()}


def _fold(x: np.ndarray) -> np.ndarray:
    """``n x 40`` signals -> ``n x 1 x 4 x 12`` images: 4 zeros padded at each end, rows of 12."""
    n, length = x.shape
    width = 12
    total = -(-length // width) * width
    if total - length < 8:
        total += width
    left = (total - length) // 2
    padded = np.pad(x, ((0, 0), (left, total - length - left)))
    return padded.reshape(n, 1, total // width, width).astype(np.float32)


class MNIST1D(TrainingBenchmark):
    r"""Train architectures of any space on MNIST-1D (Greydanus 2020) and report their accuracy.

    MNIST-1D is generated procedurally by the ``mnist1d`` package (``make_dataset``, never its
    downloading ``get_dataset``; install it with ``pip install "agnet-bo[mnist1d]"``): 10 classes
    of 40-sample signals, 4000 for training and 1000 for testing. The last ``n_valid`` training
    samples are held out for validation (search on ``valid-accuracy``, report ``test-accuracy``).
    For the image networks of the built-in spaces each signal is zero-padded to 48 samples and
    folded into a ``1 x 4 x 12`` image (rows of 12 consecutive samples).

    The defaults (8 epochs, the small networks of :func:`default_network_options`) make one
    training take about 1-3 s on one core for NAS-Bench-101 cells and about 8 s for DARTS
    cells (depthwise convolutions are slow on a CPU); bench/notes/real-training.md, "Real training on
    MNIST-1D", measures the time and the spread of accuracies over random cells.

    Args:
        space: The search space (NAS-Bench-101, DARTS, NAS-Bench-201, a ``DAGSpace`` with
            known operations, or any space with ``build=``).
        epochs: The full budget. Other keyword arguments: as :class:`TrainingBenchmark`.
        n_valid: Training samples held out for validation (default 1000).
        num_samples: MNIST-1D samples in all (default 5000).
        data_seed: MNIST-1D's generator seed (default 42, the published dataset).
        flatten: Feed ``n x 40`` signals instead of images (for your own ``build=``).
    """

    name = "mnist1d"

    def __init__(
        self,
        space: SearchSpace,
        *,
        epochs: int = 8,
        n_valid: int = 1000,
        num_samples: int = 5000,
        data_seed: int = 42,
        flatten: bool = False,
        **kwargs: Any,
    ) -> None:
        data = _mnist1d_arrays(self._positive_int("num_samples", num_samples), int(data_seed))
        x, y, x_test, y_test = data
        n_valid = self._positive_int("n_valid", n_valid)
        if n_valid >= len(y):
            raise InputError(f"`n_valid` must leave training samples: got {n_valid} of {len(y)}.")
        prep = (lambda a: a.astype(np.float32)) if flatten else _fold
        xs, xt = prep(x), prep(x_test)
        super().__init__(
            space,
            (xs[:-n_valid], y[:-n_valid]),
            (xs[-n_valid:], y[-n_valid:]),
            (xt, y_test),
            epochs=epochs,
            **kwargs,
        )
