"""The generator's training objectives, one class per :attr:`GeneratorConfig.mode`.

* :class:`AutoregressiveLoss`: maximum likelihood with teacher forcing, ``z = 0``.
* :class:`PaperLoss`: the published objective: reconstruction of each target from an
  independent latent draw with a free-running prefix, jointly with the paper's surrogate (an MLP
  on the generator's teacher-forced output scores).

:data:`LOSSES` maps a mode to its class; the generator picks one when it is built. The shared
pieces (teacher-forced step outputs, the reconstruction loss, the surrogate's features) are
functions of this module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import torch
from torch import Tensor, nn

from agnet_bo.generator.config import GeneratorConfig
from agnet_bo.generator.data import EDGES_BERNOULLI, EDGES_CATEGORICAL, Batch, GraphEncoder
from agnet_bo.generator.model import GraphDecoder, mlp
from agnet_bo.generator.sampling import Noise, inverse_cdf, sample_edges

__all__ = [
    "TrainingLoss",
    "AutoregressiveLoss",
    "PaperLoss",
    "LOSSES",
    "teacher_forced",
    "reconstruction_loss",
    "log_likelihood",
    "surrogate_features",
    "free_running_loss",
]


STEP_CHUNK = 8
"""Steps scored per message-passing call in :func:`teacher_forced` (a speed setting, not a model one)."""


def teacher_forced(model: GraphDecoder, encoder: GraphEncoder, batch: Batch, z: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Step outputs of every prefix of every target at once.

    Step ``t`` sees the prefix of nodes ``0 .. t-1``. The steps are scored in chunks of
    :data:`STEP_CHUNK`: one message-passing call per chunk over the prefixes of its steps, each
    truncated to the chunk's longest prefix (absent nodes carry no state and send no messages,
    so truncation changes no output, and scores far fewer nodes on large cells).

    Returns:
        Type log-probabilities ``B x (N-1) x A`` (step ``t`` at index ``t - 1``), edge logits
        ``B x (N-1) x N`` (meaningful for sources ``u < t`` only: no edge to ``t`` comes from a
        later node, and callers mask the others) and the ``B x N`` mask of the nodes present.
    """
    types, adj, length = batch["types"], batch["adj"], batch["length"]
    a = encoder.num_types
    b, n = types.shape
    dtype = adj.dtype
    pos = torch.arange(n)
    present = pos.unsqueeze(0) < length.unsqueeze(1)  # B x N
    onehot = nn.functional.one_hot(types, a).to(dtype) * present.unsqueeze(-1).to(dtype)
    x0 = model.node_init(onehot, pos.expand(b, n))  # B x N x H
    type_logps = [x0.new_zeros(b, 0, a)]
    elogs = [x0.new_zeros(b, 0, n)]
    for first in range(1, n, STEP_CHUNK):
        steps = torch.arange(first, min(first + STEP_CHUNK, n))  # S steps
        s, k = len(steps), int(steps[-1])  # the longest prefix: nodes 0 .. k-1
        prefix = present[:, :k].unsqueeze(1) & (pos[:k].view(1, 1, k) < steps.view(1, -1, 1))  # B x S x k
        bb = b * s
        xh = x0[:, :k].unsqueeze(1).expand(b, s, k, -1).reshape(bb, k, -1)
        ah = adj[:, :k, :k].unsqueeze(1).expand(b, s, k, k).reshape(bb, k, k)
        h, g = model.propagate(xh, ah, prefix.reshape(bb, k))
        zz = z.unsqueeze(1).expand(b, s, -1).reshape(bb, -1)
        logits = model.type_logits(g, zz, steps.repeat(b))
        tmask = encoder.type_mask[steps].repeat(b, 1)
        type_logps.append(torch.log_softmax(logits.masked_fill(~tmask, -1e9), dim=-1).view(b, s, a))
        elog = model.edge_logits(h, x0[:, steps].reshape(bb, -1), g, zz).view(b, s, k)
        elogs.append(nn.functional.pad(elog, (0, n - k)))
    return torch.cat(type_logps, 1), torch.cat(elogs, 1), present


def reconstruction_loss(encoder: GraphEncoder, type_logp: Tensor, elog: Tensor, batch: Batch, label_smoothing: float) -> Tensor:
    """Negative log-likelihood per target (``B``), from teacher-forced or free-running step outputs."""
    types, adj, length, allowed, kind = batch["types"], batch["adj"], batch["length"], batch["allowed"], batch["kind"]
    b, n = types.shape
    steps = torch.arange(1, n)
    active = steps.unsqueeze(0) < length.unsqueeze(1)  # B x (N-1)
    eps = label_smoothing
    tgt = types[:, 1:]
    nll_t = -type_logp.gather(-1, tgt.unsqueeze(-1)).squeeze(-1)
    if eps > 0:
        valid = encoder.type_mask[1:].unsqueeze(0).expand(b, -1, -1)
        uniform = -(type_logp * valid).sum(-1) / valid.sum(-1).clamp(min=1)
        nll_t = (1 - eps) * nll_t + eps * uniform
    loss = (nll_t * active).sum(dim=1)
    al = allowed[:, :, 1:].transpose(1, 2)  # B x (N-1) x N: allowed[u, t]
    target_e = adj[:, :, 1:].transpose(1, 2).to(elog.dtype)  # B x (N-1) x N
    k = kind[:, 1:]
    # categorical: exactly one source among the allowed
    cat_logp = torch.log_softmax(elog.masked_fill(~al, -1e9), dim=-1)
    nll_cat = -(cat_logp * target_e).sum(-1)
    # independent edges among the allowed
    soft = target_e * (1 - eps) + 0.5 * eps if eps > 0 else target_e
    bce = nn.functional.binary_cross_entropy_with_logits(elog, soft, reduction="none")
    nll_ber = (bce * al).sum(-1)
    edge = torch.where(k == EDGES_CATEGORICAL, nll_cat, torch.where(k == EDGES_BERNOULLI, nll_ber, torch.zeros_like(nll_ber)))
    return loss + (edge * active).sum(dim=1)


def log_likelihood(model: GraphDecoder, encoder: GraphEncoder, batch: Batch, config: GeneratorConfig) -> Tensor:
    """Teacher-forced log-probability of each target (``B``, float64) with ``z = 0``."""
    z = torch.zeros(batch["types"].shape[0], config.latent_dim)
    type_logp, elog, _ = teacher_forced(model, encoder, batch, z)
    return -reconstruction_loss(encoder, type_logp, elog, batch, config.label_smoothing).double()


def surrogate_features(model: GraphDecoder, encoder: GraphEncoder, batch: Batch, latent_dim: int) -> Tensor:
    """The paper surrogate's input: teacher-forced type and edge probabilities with ``z = 0``."""
    b = batch["types"].shape[0]
    z = torch.zeros(b, latent_dim, dtype=batch["adj"].dtype)
    type_logp, elog, _ = teacher_forced(model, encoder, batch, z)
    n = encoder.max_nodes
    emask = torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)[:, 1:].T  # (N-1) x N: u < t
    eprob = torch.sigmoid(elog) * emask
    return torch.cat([type_logp.exp(), eprob], dim=-1).reshape(b, -1)


def free_running_loss(
    model: GraphDecoder, encoder: GraphEncoder, batch: Batch, z: Tensor, noise: Noise, label_smoothing: float
) -> Tensor:
    """Generate from ``z`` (sampled prefix, no gradient through samples) and score each step
    against the target; the reconstruction loss per target (``B``)."""
    types, length = batch["types"], batch["length"]
    a, i_out = encoder.num_types, encoder.output_index
    b, n = types.shape
    dtype = batch["adj"].dtype
    cur_types = torch.zeros(b, n, dtype=torch.long)
    cur_types[:, 0] = types[:, 0]
    cur_adj = torch.zeros(b, n, n, dtype=dtype)
    type_logps, elogs = [], []
    pos = torch.arange(n)
    for t in range(1, n):
        present = pos.unsqueeze(0) < t
        onehot = nn.functional.one_hot(cur_types, a).to(dtype) * present.unsqueeze(-1).to(dtype)
        x0 = model.node_init(onehot, pos.expand(b, n))
        h, g = model.propagate(x0, cur_adj, present.expand(b, n))
        logits = model.type_logits(g, z, torch.full((b,), t))
        tmask = encoder.type_mask[t].expand(b, -1)
        logp = torch.log_softmax(logits.masked_fill(~tmask, -1e9), dim=-1)
        type_logps.append(logp)
        # the prefix follows the model's own samples, with the target's length
        with torch.no_grad():
            probs = logp.exp().clone()
            last = (length - 1) == t
            probs[~last, i_out] = 0.0
            probs[last] = nn.functional.one_hot(types[:, t], a).to(dtype)[last]
            probs = probs / probs.sum(-1, keepdim=True).clamp(min=1e-30)
            new_t = inverse_cdf(probs.double().numpy(), noise["u_type"][:, t])
        cur_types[:, t] = torch.as_tensor(new_t)
        h_new = model.node_init(nn.functional.one_hot(cur_types[:, t], a).to(dtype), torch.full((b,), t))
        elog = model.edge_logits(h, h_new, g, z)
        elogs.append(elog)
        with torch.no_grad():
            edges = sample_edges(encoder, t, elog.detach().double().numpy(), cur_types.numpy(), cur_adj.numpy(), noise, np.arange(b))
        cur_adj = cur_adj.clone()  # the previous version is saved for backward
        cur_adj[:, :t, t] = torch.as_tensor(edges, dtype=dtype)
    return reconstruction_loss(encoder, torch.stack(type_logps, 1), torch.stack(elogs, 1), batch, label_smoothing)


class TrainingLoss(ABC):
    """A training objective: the loss of a batch, given the random stream of the training run.

    Args:
        model: The decoder being trained.
        head: The paper surrogate's MLP (``None`` unless the mode has one).
        encoder: The space's view.
        config: The generator's settings.
    """

    latent_prior: bool = False
    """Whether sampling draws ``z ~ N(0, I)`` (else ``z = 0``)."""

    needs_values: bool = False
    """Whether weighted retraining needs the values (not only sampling weights)."""

    def __init__(self, model: GraphDecoder, head: nn.Module | None, encoder: GraphEncoder, config: GeneratorConfig) -> None:
        self.model = model
        self.head = head
        self.encoder = encoder
        self.config = config

    @staticmethod
    def make_head(encoder: GraphEncoder, config: GeneratorConfig) -> nn.Module | None:
        """The surrogate head trained with this objective, if any (built in the caller's torch random state)."""
        return None

    def start(self, values: np.ndarray | None) -> tuple[float, float] | None:
        """Begin a training run on targets with these ``values`` (``None`` when unlabelled).

        Returns:
            The ``(mean, std)`` the surrogate's targets are standardised with, if it uses them.
        """
        return None

    @abstractmethod
    def __call__(self, batch: Batch, idx: np.ndarray, rng: np.random.Generator) -> Tensor:
        """The scalar loss of the targets ``idx`` (positions in the training set), encoded as ``batch``."""


class AutoregressiveLoss(TrainingLoss):
    """Maximum likelihood with teacher forcing; the latent is not used (``z = 0``). Draws nothing from ``rng``."""

    def __call__(self, batch: Batch, idx: np.ndarray, rng: np.random.Generator) -> Tensor:
        z = torch.zeros(len(idx), self.config.latent_dim)
        type_logp, elog, _ = teacher_forced(self.model, self.encoder, batch, z)
        recon = reconstruction_loss(self.encoder, type_logp, elog, batch, self.config.label_smoothing)
        return recon.mean()


class PaperLoss(TrainingLoss):
    """``(1 - alpha) * reconstruction + alpha * MSE`` of the paper's surrogate.

    Each target is reconstructed from an independent ``z ~ N(0, I)`` with a free-running prefix
    (:func:`free_running_loss`); the surrogate's squared error on the standardised values is
    back-propagated into the generator. Unlabelled runs (pretraining) use the reconstruction alone.
    Each batch draws ``z``, then the uniforms of the prefix, from ``rng``.
    """

    latent_prior = True
    needs_values = True

    def __init__(self, model: GraphDecoder, head: nn.Module | None, encoder: GraphEncoder, config: GeneratorConfig) -> None:
        super().__init__(model, head, encoder, config)
        self._alpha = 0.0
        self._targets: Tensor | None = None

    @staticmethod
    def make_head(encoder: GraphEncoder, config: GeneratorConfig) -> nn.Module | None:
        feat = (encoder.max_nodes - 1) * (encoder.num_types + encoder.max_nodes)
        h = config.hidden_dim
        return mlp([feat, 4 * h, 2 * h, h, h, 1])

    def start(self, values: np.ndarray | None) -> tuple[float, float] | None:
        if values is None:
            self._alpha, self._targets = 0.0, None
            return None
        mean, std = float(np.mean(values)), float(np.std(values)) or 1.0
        self._alpha = self.config.alpha
        self._targets = torch.as_tensor((values - mean) / std, dtype=torch.float32)
        return mean, std

    def __call__(self, batch: Batch, idx: np.ndarray, rng: np.random.Generator) -> Tensor:
        b, n = len(idx), self.encoder.max_nodes
        z = torch.as_tensor(rng.standard_normal((b, self.config.latent_dim)), dtype=torch.float32)
        noise = {"u_type": rng.random((b, n)), "u_src": rng.random((b, n)), "u_edge": rng.random((b, n, n))}
        recon = free_running_loss(self.model, self.encoder, batch, z, noise, self.config.label_smoothing)
        alpha = self._alpha
        loss = (1 - alpha) * recon.mean()
        if alpha > 0 and self._targets is not None and self.head is not None:
            pred = self.head(surrogate_features(self.model, self.encoder, batch, self.config.latent_dim)).squeeze(-1)
            loss = loss + alpha * ((pred - self._targets[torch.as_tensor(idx)]) ** 2).mean()
        return loss


LOSSES: dict[str, type[TrainingLoss]] = {"autoregressive": AutoregressiveLoss, "paper": PaperLoss}
"""The training objective of each mode."""
