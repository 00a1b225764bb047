"""Graph-neural-network surrogate: a deep ensemble of GIN regressors on the architecture graphs.

Notation: ``n`` architectures, ``m`` outputs, ``s`` ensemble members, ``N`` pool size,
``b`` t-batch, ``q`` joint points, ``V`` nodes of a graph batch, ``A`` node types, ``h`` hidden width.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from botorch.posteriors import Posterior
from botorch.posteriors.ensemble import EnsemblePosterior
from torch import Tensor, nn
from torch_geometric.data import Batch
from torch_geometric.nn import GINConv, global_add_pool

from agnet_bo._validation import check_float, check_int
from agnet_bo.architecture import Architecture
from agnet_bo.exceptions import InputError
from agnet_bo.spaces.base import SearchSpace
from agnet_bo.surrogates._functional import check_zero_ops, functional_graph
from agnet_bo.surrogates.base import Surrogate
from agnet_bo.surrogates.layers import MemberLinear
from agnet_bo.surrogates.posteriors import posterior_moments

__all__ = ["GNNSurrogate"]


class _GINEnsemble(nn.Module):
    """``s`` GIN regressors evaluated together (their weights stacked along a leading member axis).

    Each member: embed the node types; ``layers`` rounds of GIN updates
    ``h <- MLP([(1 + eps) h + sum of predecessors' h, (1 + eps) h + sum of successors' h])``
    (the two sums are ``GINConv`` aggregations along and against the edges); ``global_add_pool``
    of every round; an MLP head on their concatenation. PyG's message passing aggregates over
    the node dimension (-2), so the member axis rides along.

    Shapes:
        input: node features ``V x A``, edges ``2 x E``, graph membership ``V``.
        output: ``s x n_graphs x m``.
    """

    def __init__(self, s: int, in_dim: int, hidden: int, layers: int, out_dim: int) -> None:
        super().__init__()
        self.s = s
        self.aggregate = GINConv(nn.Identity())
        self.embed = MemberLinear(s, in_dim, hidden)
        self.mlps = nn.ModuleList(
            [
                nn.Sequential(MemberLinear(s, 2 * hidden, hidden), nn.ReLU(), MemberLinear(s, hidden, hidden))
                for _ in range(layers)
            ]
        )
        self.head = nn.Sequential(
            MemberLinear(s, hidden * (layers + 1), hidden), nn.ReLU(), MemberLinear(s, hidden, out_dim)
        )

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        reverse = edge_index.flip(0)
        h = self.embed(x.unsqueeze(0).expand(self.s, -1, -1))
        pooled = [global_add_pool(h, batch, num_graphs)]
        for mlp in self.mlps:
            h = torch.relu(mlp(torch.cat([self.aggregate(h, edge_index), self.aggregate(h, reverse)], dim=-1)))
            pooled.append(global_add_pool(h, batch, num_graphs))
        return self.head(torch.cat(pooled, dim=-1))


def _init_(module: nn.Module, generators: list[torch.Generator]) -> None:
    """Initialise member ``k`` of every layer from ``generators[k]`` (PyTorch's ``Linear`` default scheme).

    Modules are built on the meta device and materialised with ``to_empty``, so no value comes
    from torch's global generator.
    """
    with torch.no_grad():
        for mod in module.modules():
            if isinstance(mod, MemberLinear):
                bound = 1.0 / math.sqrt(mod.in_features)
                for k, gen in enumerate(generators):
                    nn.init.uniform_(mod.weight[k], -bound, bound, generator=gen)
                    nn.init.uniform_(mod.bias[k], -bound, bound, generator=gen)
            elif isinstance(mod, GINConv):
                mod.eps.fill_(mod.initial_eps)


class GNNSurrogate(Surrogate):
    r"""A deep ensemble of graph isomorphism networks (GIN) on ``space.to_graph``.

    Each member embeds the node features of the architecture graph, runs ``num_layers`` rounds
    of GIN updates in which a node combines the sum of its predecessors' states and the sum of
    its successors' states (``torch_geometric.nn.GINConv`` aggregations along and against the
    edges, then an MLP), sum-pools the node states of every round (``global_add_pool``) and maps
    their concatenation to the ``m`` outputs with an MLP head. Graphs are the space's, simplified
    (e.g. dead NAS-Bench-101 nodes pruned), without the nodes that cannot affect the output
    (``zero_ops`` such as NAS-Bench-201's ``"none"``, and what they cut off).

    The ``s = n_members`` members differ in their initial weights (seeds spawned from ``seed``)
    and, with ``bootstrap=True``, in their training data: each fits a bootstrap resample of the
    training set. They are trained together (weights stacked along a member axis, so one pass
    computes all of them; each member's loss and Adam update are its own) for a fixed number of
    Adam ``steps`` (full batch up to ``batch_size`` graphs) on the mean squared error of the
    transformed targets: with the few
    points of a search, holding out data for early stopping costs more than it saves, and the
    budget was chosen by measurement on NAS-Bench-201 (bench/notes/surrogates.md).

    Prediction: the mean of the members' outputs; variance: their unbiased variance plus
    :attr:`noise_`, the error variance their spread misses, estimated per output from
    out-of-bag residuals (at least ``noise_floor``; exactly ``noise_floor`` without bootstrap).
    The :meth:`as_botorch_model` posterior is BoTorch's ``EnsemblePosterior`` of the members
    (``b x s x q x m``), whose samples are the members themselves, without :attr:`noise_`.

    The networks compute in float32, so a prediction can differ in its last float32 digits
    depending on the other graphs in the batch; results are float64 tensors.

    Args:
        space: The search space.
        n_members: Ensemble size ``s`` (at least 2 for a variance).
        hidden_dim: Width ``h`` of node states and of the head.
        num_layers: Message-passing rounds.
        steps: Adam updates per member.
        batch_size: Largest number of graphs per update; larger training sets are split into
            minibatches (shared by the members).
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        noise_floor: Smallest variance added to the members' spread (transformed units).
        bootstrap: Train each member on a bootstrap resample (and estimate :attr:`noise_` out of bag).
        zero_ops: Operations that output zeros (``()``: use every node as it is).
        target_transform: ``"copula"`` (default), ``"standardize"`` or ``None``; see :class:`Surrogate`.
        seed: Seed of the initial weights, bootstrap resamples and minibatches.
        num_threads: Torch threads while computing (``None``: leave torch's setting alone).

    Raises:
        InputError: If a hyperparameter is out of range.
        UnknownNameError: If ``target_transform`` is not known.

    Example:
        >>> from agnet_bo.spaces import NB201Space
        >>> space = NB201Space()
        >>> archs = space.sample(32, seed=0)
        >>> y = [[a.ops.count("nor_conv_3x3"), a.ops.count("none")] for a in archs]
        >>> gnn = GNNSurrogate(space, n_members=2, steps=20, seed=0).fit(archs, y)
        >>> mean, var = gnn.predict(space.sample(5, seed=1))
        >>> mean.shape, var.shape
        (torch.Size([5, 2]), torch.Size([5, 2]))
    """

    config_name = "gnn"

    def __init__(
        self,
        space: SearchSpace,
        *,
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
        super().__init__(space, target_transform=target_transform, seed=seed, num_threads=num_threads)
        self.n_members = check_int("n_members", n_members, minimum=2)
        self.hidden_dim = check_int("hidden_dim", hidden_dim)
        self.num_layers = check_int("num_layers", num_layers)
        self.steps = check_int("steps", steps)
        self.batch_size = check_int("batch_size", batch_size)
        self.lr = check_float("lr", lr, minimum=0.0, strict_minimum=True)
        self.weight_decay = check_float("weight_decay", weight_decay, minimum=0.0)
        self.noise_floor = check_float("noise_floor", noise_floor, minimum=0.0)
        self.zero_ops = check_zero_ops(zero_ops)
        if not isinstance(bootstrap, bool):
            raise InputError(f"`bootstrap` must be a bool, got {bootstrap!r}.")
        self.bootstrap = bootstrap
        self.net_: nn.Module | None = None
        self.noise_: Tensor | None = None

    def get_params(self) -> dict[str, Any]:
        return {
            "n_members": self.n_members,
            "hidden_dim": self.hidden_dim,
            "num_layers": self.num_layers,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "weight_decay": self.weight_decay,
            "noise_floor": self.noise_floor,
            "bootstrap": self.bootstrap,
            "zero_ops": list(self.zero_ops),
            "target_transform": self.target_transform,
            "seed": self.seed,
            "num_threads": self.num_threads,
        }

    # -- internals (the hooks a deep ensemble on other inputs overrides) ------------------------
    def _inputs(self, archs: list[Architecture]) -> Any:
        """The network input of ``archs`` (here a PyG ``Batch`` of their functional graphs)."""
        return Batch.from_data_list([functional_graph(self.space, a, self.zero_ops) for a in archs])

    def _take(self, inputs: Any, idx: Tensor) -> Any:
        """The rows ``idx`` of :meth:`_inputs`' result (a minibatch)."""
        graphs = inputs.index_select(idx)
        return Batch.from_data_list(graphs)

    def _forward(self, net: nn.Module, inputs: Any) -> Tensor:
        """The ``s x n x m`` member outputs of ``net`` on ``inputs``."""
        return net(inputs.x, inputs.edge_index, inputs.batch, inputs.num_graphs)

    def _new_net(self, m: int) -> nn.Module:
        with torch.device("meta"):
            net = _GINEnsemble(self.n_members, len(self.space.node_types), self.hidden_dim, self.num_layers, m)
        return net.to_empty(device="cpu")

    def _member_outputs(self, archs: list[Architecture]) -> Tensor:
        """The ``s x n x m`` float64 member predictions (transformed units)."""
        assert self.net_ is not None
        inputs = self._inputs(archs)
        with torch.no_grad():
            out = self._forward(self.net_, inputs)
        return out.to(torch.float64)

    # -- Surrogate hooks ----------------------------------------------------------------------
    def _fit(self, archs: list[Architecture], Y: Tensor) -> None:
        n, m = Y.shape
        data = self._inputs(archs)
        target = Y.to(torch.float32)
        root = np.random.SeedSequence(self.seed)
        member_seeds = root.spawn(self.n_members + 1)
        gens = [torch.Generator().manual_seed(int(ss.generate_state(1)[0])) for ss in member_seeds]
        order_gen = gens.pop()  # minibatch order, shared by the members
        net = self._new_net(m)
        _init_(net, gens)
        if self.bootstrap:  # s x n resampling counts, one bootstrap sample per member
            weights = torch.stack([torch.bincount(torch.randint(n, (n,), generator=g), minlength=n) for g in gens])
            weights = weights.to(torch.float32)
        else:
            weights = torch.ones(self.n_members, n)
        opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        net.train()
        full = n <= self.batch_size
        order, pos = torch.randperm(n, generator=order_gen), 0
        for _ in range(self.steps):
            if full:
                sub, y, w = data, target, weights
            else:
                if pos + self.batch_size > n:
                    order, pos = torch.randperm(n, generator=order_gen), 0
                idx = order[pos : pos + self.batch_size]
                pos += self.batch_size
                sub = self._take(data, idx)
                y, w = target[idx], weights[:, idx]
            opt.zero_grad(set_to_none=True)
            pred = self._forward(net, sub)  # s x batch x m
            # sum over members of each member's (weighted) mean squared error: members train independently
            sq = ((pred - y) ** 2).mean(dim=-1)  # s x batch
            loss = ((sq * w).sum(-1) / w.sum(-1).clamp_min(1.0)).sum()
            loss.backward()
            opt.step()
        net.eval()
        self.net_ = net
        self.noise_ = self._oob_noise(data, target.to(torch.float64), weights)

    def _oob_noise(self, data: Any, Y: Tensor, weights: Tensor) -> Tensor:
        """The error variance the ensemble spread misses, per output (``m``), from out-of-bag residuals.

        Each training point left out of some members' bootstrap samples is predicted by those
        members; the mean squared out-of-bag residual, less the ensemble variance there, is the
        extra variance (at least ``noise_floor``). Without bootstrapping (or with no out-of-bag
        point) it is ``noise_floor``.
        """
        m = Y.shape[-1]
        floor = torch.full((m,), self.noise_floor, dtype=torch.float64)
        oob = weights == 0  # s x n
        has_oob = oob.any(0)
        if not self.bootstrap or not has_oob.any():
            return floor
        assert self.net_ is not None
        with torch.no_grad():
            values = self._forward(self.net_, data).to(torch.float64)  # s x n x m
        mask = oob.to(torch.float64).unsqueeze(-1)
        k = mask.sum(0).clamp_min(1.0)  # n x 1 out-of-bag members per point
        oob_mean = (values * mask).sum(0) / k  # n x m
        spread = values.var(0, unbiased=True)  # n x m
        # squared error of the full ensemble's mean: the out-of-bag residual, less the extra
        # variance of averaging only k members instead of s
        err2 = (Y - oob_mean) ** 2 - spread / k + spread / self.n_members
        return torch.maximum(floor, (err2 - spread)[has_oob].mean(0))

    def _predict(self, archs: list[Architecture]) -> tuple[Tensor, Tensor]:
        values = self._member_outputs(archs)
        assert self.noise_ is not None
        return values.mean(0), values.var(0, unbiased=True) + self.noise_

    def pool_handle(self, pool: list[Architecture]) -> Tensor:
        values = self._member_outputs(pool)  # s x N x m, transformed units
        s, N, m = values.shape
        mean, _ = self._to_output_units(values.reshape(s * N, m), torch.zeros(s * N, m, dtype=torch.float64))
        return mean.reshape(s, N, m)

    def pool_posterior(self, handle: Tensor, idx: Tensor, observation_noise: bool | Tensor = False) -> Posterior:
        return EnsemblePosterior(handle[:, idx].movedim(0, -3))

    def pool_moments(self, handle: Tensor, idx: Tensor, observation_noise: bool | Tensor = False) -> tuple[Tensor, Tensor]:
        # the members' spread plus the fitted noise floor, whatever observation_noise says
        mean, cov = posterior_moments(self.pool_posterior(handle, idx))
        m = mean.shape[-1]
        zeros = torch.zeros(1, m, dtype=torch.float64)
        assert self.noise_ is not None
        floor = self._to_output_units(zeros, self.noise_.reshape(1, m))[1]
        eye = torch.eye(cov.shape[-1], dtype=cov.dtype)
        return mean, cov + floor.reshape(m, 1, 1) * eye

    def _model_state(self) -> dict[str, Any]:
        assert self.net_ is not None
        assert self.noise_ is not None
        return {"net": {k: v.detach().clone() for k, v in self.net_.state_dict().items()}, "noise": self.noise_.clone()}

    def _load_model_state(self, state: dict[str, Any], archs: list[Architecture], Y: Tensor) -> None:
        try:
            net_state = state["net"]
            noise = torch.as_tensor(state["noise"], dtype=torch.float64)
        except (KeyError, TypeError) as exc:
            raise InputError(f"Malformed GNNSurrogate state: {exc!r}.") from exc
        net = self._new_net(int(Y.shape[-1]))
        try:
            net.load_state_dict(net_state)
        except RuntimeError as exc:
            raise InputError(f"The GNN weights in the state do not fit this GNNSurrogate: {exc}") from exc
        net.eval()
        self.net_ = net
        self.noise_ = noise
