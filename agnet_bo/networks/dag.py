"""Generic networks for node-labelled DAGs: every node applies its operation to the sum of its inputs.

This is the builder for a user's :class:`~agnet_bo.spaces.DAGSpace` (and the cell of the
NAS-Bench-201 network). The user supplies, per operation name, a factory that makes a module for a
given channel count.

Semantics of :class:`DAGCell` (``x`` is the cell input, ``h_v`` the value of node ``v``):

* node ``0`` (``"input"``): ``h_0 = x``;
* hidden node ``v``: ``h_v = op_v(sum of h_u over the predecessors u of v)``, where ``op_v`` is
  the module made by the factory of ``v``'s operation label;
* the last node (``"output"``): ``sum of h_u over its predecessors`` (no operation);
* nodes that do not lie on a path from the input to the output cannot change the output and are
  not built (the NAS-Bench-101 convention, as :meth:`~agnet_bo.spaces.DAGSpace.prune`).

Every module receives and must return a tensor of ``channels`` channels (dimension 1); tensors that
meet at a node are summed, so they must have the same shape. Nothing else is assumed about the
shape: the cell works for images (``b x C x H x W``), sequences (``b x C x L``) or plain features
(``b x C``) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from torch import Tensor, nn

from agnet_bo import _graph
from agnet_bo.architecture import INPUT, OUTPUT, Architecture
from agnet_bo.exceptions import InputError, InvalidArchitectureError, UnknownNameError
from agnet_bo.networks._layers import check_positive_int, sum_tensors

__all__ = ["DAGCell", "DAGNetwork", "OpFactories", "OpFactory", "check_factories"]

OpFactory = Callable[[int], nn.Module]
"""Makes the module of one node from the channel count: ``factory(channels) -> nn.Module``."""

OpFactories = Mapping[str, OpFactory] | Callable[[str, int], nn.Module]
"""Per-operation module factories: a mapping ``{op_name: factory(channels)}``, or one callable
``factory(op_name, channels) -> nn.Module`` for every operation (it may raise ``KeyError`` for an
operation it does not know)."""

_HOW = (
    "Pass ops={{'{op}': lambda channels: <an nn.Module that maps channels -> channels>, ...}} "
    "with one entry per operation of the space (agnet_bo.networks.NB201_OP_FACTORIES, NB101_OP_FACTORIES "
    "and DARTS_OP_FACTORIES are ready-made tables)."
)


def _describe(ops: object) -> str:
    if isinstance(ops, Mapping):
        return f"factories for {sorted(map(str, ops))}"
    return f"the callable {getattr(ops, '__name__', repr(ops))}"


def check_factories(ops: object, names: Sequence[str], where: str = "the architecture") -> None:
    """Check that ``ops`` is a valid :data:`OpFactories` with a factory for each of ``names``.

    A callable ``ops`` can only be checked for being callable here (which names it knows shows
    when it is called).

    Args:
        ops: What the user passed as ``ops``.
        names: The operation names that need a factory.
        where: What the names come from, for the message (e.g. ``"DAGSpace 'chain'"``).

    Raises:
        InputError: If ``ops`` is neither a mapping nor a callable, or a mapping value is a module
            instance (a factory is needed: every node gets a module of its own) or not callable.
        UnknownNameError: If a mapping lacks some of ``names`` (the message lists all missing ones).
    """
    if isinstance(ops, Mapping):
        missing = sorted({n for n in names if n not in ops})
        if missing:
            raise UnknownNameError(
                f"No module factory for operation(s) {missing} of {where}. Expected a factory for each of "
                f"{sorted(set(names))}; got {_describe(ops)}. " + _HOW.format(op=missing[0])
            )
        instances = sorted(str(k) for k, v in ops.items() if isinstance(v, nn.Module))
        if instances:
            op = instances[0]
            raise InputError(
                f"`ops` must map each operation to a factory callable(channels) -> nn.Module, but the value(s) for "
                f"{instances} are module instances (e.g. {type(ops[op]).__name__}). Every node needs a module of its "
                f"own: pass ops={{'{op}': lambda channels: {type(ops[op]).__name__}(...), ...}}."
            )
        bad = sorted(str(k) for k, v in ops.items() if not callable(v))
        if bad:
            raise InputError(
                f"Every value of `ops` must be a factory callable(channels) -> nn.Module, but the value(s) for "
                f"{bad} are not callable (got {type(ops[bad[0]]).__name__}). " + _HOW.format(op=bad[0])
            )
    elif not callable(ops):
        raise InputError(
            f"`ops` must be a mapping {{op_name: factory(channels)}} or a callable(op_name, channels) -> "
            f"nn.Module, got {type(ops).__name__} {ops!r}. " + _HOW.format(op="conv3x3")
        )


def _make_module(ops: OpFactories, op: str, channels: int, node: int) -> nn.Module:
    if isinstance(ops, Mapping):
        module = ops[op](channels)  # DAGCell checked the names first
    else:
        try:
            module = ops(op, channels)
        except KeyError as exc:
            raise UnknownNameError(
                f"The factory {_describe(ops)} does not know operation {op!r} (node {node}); it raised "
                f"KeyError({exc}). Expected it to return an nn.Module for every operation of the space. "
                + _HOW.format(op=op)
            ) from exc
    if not isinstance(module, nn.Module):
        raise InputError(
            f"The factory for operation {op!r} (node {node}) must return a torch.nn.Module, got "
            f"{type(module).__name__} {module!r}. Wrap functions in a module, e.g. torch.nn.Identity() "
            "or a small nn.Module subclass."
        )
    return module


class DAGCell(nn.Module):
    r"""One cell of a node-labelled DAG: each node applies its operation to the sum of its inputs.

    See the module docstring for the exact semantics. Nodes that do not lie on a path from the
    input to the output are dropped. An architecture whose output is fed by the input only (e.g.
    ``input -> output``) is the identity.

    Args:
        arch: The architecture (any node-labelled DAG; not checked against a space here).
        ops: Per-operation factories (:data:`OpFactories`), called once per live hidden node.
        channels: ``C``, the channel count every node module receives and returns.

    Shapes:
        ``x``: ``b x C x ...`` (any trailing dimensions) -> ``b x C x ...``; the trailing dimensions
        stay as they are as long as every operation keeps them.

    Raises:
        InputError: If ``channels`` is not a positive int, ``ops`` is malformed or a factory returns
            something other than an ``nn.Module``.
        UnknownNameError: If an operation used by a live node has no factory.
        InvalidArchitectureError: If no path leads from the input to the output.

    Example:
        >>> import torch
        >>> from torch import nn
        >>> arch = Architecture(["input", "conv", "relu", "output"],
        ...                     [[0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]])
        >>> cell = DAGCell(arch, {"conv": lambda c: nn.Conv2d(c, c, 3, padding=1), "relu": lambda c: nn.ReLU()}, 4)
        >>> cell(torch.zeros(2, 4, 8, 8)).shape
        torch.Size([2, 4, 8, 8])
    """

    def __init__(self, arch: Architecture, ops: OpFactories, channels: int) -> None:
        super().__init__()
        if not isinstance(arch, Architecture):
            raise InputError(
                f"Expected an agnet_bo.Architecture, got {type(arch).__name__} {arch!r}. "
                "Build one with Architecture(ops, adjacency) or a space's sample()/from_* helpers."
            )
        channels = check_positive_int(channels, "channels")
        live = _graph.live_mask(arch.adjacency)
        if not live[0]:
            raise InvalidArchitectureError(
                f"The output of {arch!r} cannot be reached from its input, so the cell computes nothing; "
                "add a path input -> output."
            )
        keep = [int(v) for v in range(arch.num_nodes) if live[v]]
        check_factories(ops, [arch.ops[v] for v in keep[1:-1]])
        position = {v: i for i, v in enumerate(keep)}
        adj = arch.adjacency
        self.arch = arch
        self.channels = channels
        self.node_ids: tuple[int, ...] = tuple(keep[1:-1])
        """The original indices of the built hidden nodes (dead nodes are skipped)."""
        self.node_ops: tuple[str, ...] = tuple(arch.ops[v] for v in keep[1:-1])
        """The operation of each built hidden node."""
        self.nodes = nn.ModuleList(_make_module(ops, arch.ops[v], channels, v) for v in keep[1:-1])
        # predecessors as positions into the list of computed states (0 = input)
        self._preds: list[tuple[int, ...]] = [
            tuple(position[int(u)] for u in range(v) if adj[u, v] and live[u]) for v in keep[1:]
        ]

    def forward(self, x: Tensor) -> Tensor:
        """Run the cell.

        Args:
            x: A ``b x C x ...`` tensor.

        Returns:
            The output node's value, the sum of its inputs (``b x C x ...`` if the operations keep
            the shape).

        Raises:
            InputError: If tensors that meet at a node have different shapes (an operation changed
                the shape of its input).
        """
        states = [x]
        for i, preds in enumerate(self._preds):
            inputs = [states[p] for p in preds]
            if len(inputs) > 1 and any(t.shape != inputs[0].shape for t in inputs[1:]):
                self._raise_shape_mismatch(i, preds, inputs)
            s = sum_tensors(inputs)
            states.append(self.nodes[i](s) if i < len(self.nodes) else s)
        return states[-1]

    def _name(self, position: int) -> str:
        if position == 0:
            return f"node 0 ({INPUT!r})"
        if position > len(self.node_ids):
            return f"node {self.arch.num_nodes - 1} ({OUTPUT!r})"
        return f"node {self.node_ids[position - 1]} ({self.node_ops[position - 1]!r})"

    def _raise_shape_mismatch(self, i: int, preds: tuple[int, ...], inputs: list[Tensor]) -> None:
        got = ", ".join(f"{self._name(p)}: {tuple(t.shape)}" for p, t in zip(preds, inputs, strict=False))
        raise InputError(
            f"{self._name(i + 1)} sums the outputs of its predecessors, which need one shape, but got {got}. "
            f"Every operation's module must keep the shape of its input (here {self.channels} channels and the "
            "spatial size); check the factories of the operations listed."
        )

    def extra_repr(self) -> str:
        return f"channels={self.channels}, nodes={list(zip(self.node_ids, self.node_ops, strict=False))}"


class DAGNetwork(nn.Module):
    r"""A network of ``num_cells`` stacked :class:`DAGCell`\ s of one architecture, with a stem and a head.

    By default an image classifier: a stem ``Conv2d(in_channels, C, 3, padding=1) -> BatchNorm2d``,
    ``num_cells`` cells of ``C`` channels (each with its own weights), then global average pooling
    and ``Linear(C, num_classes)``. Pass ``stem`` and ``head`` to use it on other data, or use
    :class:`DAGCell` inside a model of your own.

    Args:
        arch: The architecture of every cell.
        ops: Per-operation factories (:data:`OpFactories`); see :class:`DAGCell`.
        channels: ``C``, the channel count inside the cells.
        num_classes: Outputs of the default head.
        in_channels: Input channels of the default stem.
        num_cells: How many cells to stack.
        stem: A module mapping the input to ``b x C x ...`` (replaces the default stem).
        head: A module mapping ``b x C x ...`` to the output (replaces the default head).

    Shapes:
        With the defaults: ``b x in_channels x H x W`` -> ``b x num_classes`` logits.

    Raises:
        InputError: If a size is not a positive int, or as :class:`DAGCell`.
        UnknownNameError: If an operation of ``arch`` has no factory.
        InvalidArchitectureError: If no path leads from the input to the output.

    Example:
        >>> import torch
        >>> from agnet_bo.spaces import DAGSpace
        >>> from agnet_bo.networks import NB201_OP_FACTORIES
        >>> space = DAGSpace(ops=["nor_conv_3x3", "skip_connect"], num_nodes=(2, 5))
        >>> net = DAGNetwork(space.sample(1, seed=0)[0], NB201_OP_FACTORIES, channels=8, num_classes=3)
        >>> net(torch.randn(2, 3, 8, 8)).shape
        torch.Size([2, 3])
    """

    def __init__(
        self,
        arch: Architecture,
        ops: OpFactories,
        *,
        channels: int = 16,
        num_classes: int = 10,
        in_channels: int = 3,
        num_cells: int = 1,
        stem: nn.Module | None = None,
        head: nn.Module | None = None,
    ) -> None:
        super().__init__()
        channels = check_positive_int(channels, "channels")
        num_cells = check_positive_int(num_cells, "num_cells")
        if stem is None:
            in_channels = check_positive_int(in_channels, "in_channels")
            stem = nn.Sequential(
                nn.Conv2d(in_channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)
            )
        if head is None:
            num_classes = check_positive_int(num_classes, "num_classes")
            head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))
        for name, module in (("stem", stem), ("head", head)):
            if not isinstance(module, nn.Module):
                raise InputError(f"`{name}` must be a torch.nn.Module or None, got {type(module).__name__}.")
        self.stem = stem
        self.cells = nn.Sequential(*(DAGCell(arch, ops, channels) for _ in range(num_cells)))
        self.head = head

    def forward(self, x: Tensor) -> Tensor:
        """Stem, cells, head.

        Args:
            x: With the default stem, a ``b x in_channels x H x W`` batch of images.

        Returns:
            With the default head, ``b x num_classes`` logits.
        """
        out: Tensor = self.head(self.cells(self.stem(x)))
        return out

