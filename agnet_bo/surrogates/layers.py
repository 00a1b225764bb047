"""Layers shared by the deep-ensemble surrogates (GNN and MLP)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["MemberLinear"]


class MemberLinear(nn.Module):
    """``s`` independent linear maps, one per ensemble member: ``s x V x i`` -> ``s x V x o``."""

    def __init__(self, s: int, in_features: int, out_features: int) -> None:
        super().__init__()
        self.in_features = in_features
        self.weight = nn.Parameter(torch.empty(s, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(s, 1, out_features))

    def forward(self, x: Tensor) -> Tensor:
        return torch.baddbmm(self.bias, x, self.weight)
