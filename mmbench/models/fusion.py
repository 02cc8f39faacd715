"""Fusion modules: one signature for all, ``F(x1, x2, mask1=None) -> fused [B, D]``.

``x1`` is the *attended* modality, tokens ``[B, N1, D1]`` (an image feature map, audio
frames) or one vector ``[B, D1]``; ``x2`` is the *querying* modality, one vector ``[B, D2]``
(the pooled question, a decoder's text state); ``mask1 [B, N1]`` marks real tokens.

Every method except ``cross_attention`` first reduces ``x1`` to one context vector with the
same single-head attention pooling queried by ``x2`` (:class:`AttentionPool`), then combines
the two vectors its own way; ``cross_attention`` is a Transformer cross-attention block in
which ``x2`` attends to the tokens of ``x1``. So the methods differ only in how they combine.

>>> import torch
>>> f = build_fusion("gated", d1=8, d2=6, width=4)
>>> tuple(f(torch.randn(2, 5, 8), torch.randn(2, 6)).shape)
(2, 4)
>>> sorted(FUSIONS)
['bilinear', 'concat', 'conv', 'cross_attention', 'gated', 'recurrent', 'weighted_sum']
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

FUSIONS: dict[str, Callable[..., Fusion]] = {}


def register_fusion(name: str) -> Callable[[type[Fusion]], type[Fusion]]:
    """Class decorator adding a fusion method to :data:`FUSIONS` under ``name``."""

    def add(cls: type[Fusion]) -> type[Fusion]:
        if name in FUSIONS:
            raise ValueError(f"fusion {name!r} is registered twice")
        FUSIONS[name] = cls
        cls.name = name
        return cls

    return add


def build_fusion(name: str, d1: int, d2: int, width: int) -> Fusion:
    """Instantiate fusion ``name`` for inputs of widths ``d1``, ``d2`` and output ``width``."""
    if name not in FUSIONS:
        raise KeyError(f"unknown fusion {name!r}; known fusions: {', '.join(sorted(FUSIONS))}")
    return FUSIONS[name](d1, d2, width)


class AttentionPool(nn.Module):
    """Single-head dot-product attention of a query vector over tokens -> one context vector."""

    def __init__(self, d1: int, d2: int) -> None:
        super().__init__()
        self.query = nn.Linear(d2, d1)
        self.key = nn.Linear(d1, d1)

    def forward(
        self, x1: torch.Tensor, x2: torch.Tensor, mask1: torch.Tensor | None
    ) -> torch.Tensor:
        q = self.query(x2)  # [B, D1]
        scores = (self.key(x1) @ q[:, :, None]).squeeze(2) / math.sqrt(x1.shape[2])  # [B, N1]
        if mask1 is not None:
            scores = scores.masked_fill(~mask1, float("-inf"))  # [B, N1]
        attn = scores.softmax(dim=1)  # [B, N1]
        return (attn[:, :, None] * x1).sum(dim=1)  # [B, D1]


class Fusion(nn.Module):
    """Base class: pools ``x1`` by attention (when it has tokens), then ``combine``s vectors."""

    name = ""

    def __init__(self, d1: int, d2: int, width: int) -> None:
        super().__init__()
        self.d1, self.d2, self.width = d1, d2, width
        self.pool = AttentionPool(d1, d2)

    def forward(
        self, x1: torch.Tensor, x2: torch.Tensor, mask1: torch.Tensor | None = None
    ) -> torch.Tensor:
        if x1.dim() == 2:
            x1 = x1[:, None]  # [B, 1, D1]
        context = self.pool(x1, x2, mask1)  # [B, D1]
        return self.combine(context, x2)  # [B, D]

    def combine(self, c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


@register_fusion("weighted_sum")
class WeightedSum(Fusion):
    """``F = w1 * P1(x1) + w2 * P2(x2)``: project to a common width, learned scalar weights."""

    def __init__(self, d1: int, d2: int, width: int) -> None:
        super().__init__(d1, d2, width)
        self.p1, self.p2 = nn.Linear(d1, width), nn.Linear(d2, width)
        self.w = nn.Parameter(torch.ones(2))  # [2]: w1, w2

    def combine(self, c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return self.w[0] * self.p1(c) + self.w[1] * self.p2(q)  # [B, D]


@register_fusion("concat")
class Concat(Fusion):
    """``F = MLP([x1; x2])``: concatenation then a two-layer perceptron."""

    def __init__(self, d1: int, d2: int, width: int) -> None:
        super().__init__(d1, d2, width)
        self.mlp = nn.Sequential(nn.Linear(d1 + d2, width), nn.ReLU(), nn.Linear(width, width))

    def combine(self, c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([c, q], dim=1))  # [B, D1 + D2] -> [B, D]


@register_fusion("gated")
class Gated(Fusion):
    """Gated multimodal unit (Arevalo et al., 2017): ``z * tanh(W1 x1) + (1 - z) * tanh(W2 x2)``
    with ``z = sigmoid(Wz [x1; x2])`` chosen per feature."""

    def __init__(self, d1: int, d2: int, width: int) -> None:
        super().__init__(d1, d2, width)
        self.h1, self.h2 = nn.Linear(d1, width), nn.Linear(d2, width)
        self.z = nn.Linear(d1 + d2, width)

    def combine(self, c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        z = torch.sigmoid(self.z(torch.cat([c, q], dim=1)))  # [B, D]
        return z * torch.tanh(self.h1(c)) + (1 - z) * torch.tanh(self.h2(q))  # [B, D]


@register_fusion("bilinear")
class LowRankBilinear(Fusion):
    """Low-rank bilinear pooling (Kim et al., 2017, MLB): ``P(tanh(U x1) * tanh(V x2))``."""

    def __init__(self, d1: int, d2: int, width: int, rank: int | None = None) -> None:
        super().__init__(d1, d2, width)
        rank = rank or 2 * width
        self.u, self.v = nn.Linear(d1, rank), nn.Linear(d2, rank)
        self.out = nn.Linear(rank, width)

    def combine(self, c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        joint = torch.tanh(self.u(c)) * torch.tanh(self.v(q))  # [B, R]: Hadamard product
        return self.out(joint)  # [B, D]


@register_fusion("conv")
class ConvFusion(Fusion):
    """Modalities stacked as 2 channels ``[B, 2, D]``, a 1-D convolution along features,
    then a linear read-out of the ``C`` output channels."""

    def __init__(self, d1: int, d2: int, width: int, channels: int = 4, kernel: int = 5) -> None:
        super().__init__(d1, d2, width)
        self.p1, self.p2 = nn.Linear(d1, width), nn.Linear(d2, width)
        self.conv = nn.Conv1d(2, channels, kernel, padding=kernel // 2)
        self.out = nn.Linear(channels * width, width)

    def combine(self, c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        stacked = torch.stack([self.p1(c), self.p2(q)], dim=1)  # [B, 2, D]
        h = F.relu(self.conv(stacked))  # [B, C, D]
        return self.out(h.flatten(1))  # [B, C*D] -> [B, D]


@register_fusion("recurrent")
class RecurrentFusion(Fusion):
    """A GRU run over the modality sequence ``(P1(x1), P2(x2))``; the fused vector is a linear
    read-out of its states at both steps: ``W [GRU(x1); GRU(x2 | x1)]``.

    Reading both states (not only the last) gives each modality a direct path to the output,
    while the second state carries their interaction through the GRU's gates.
    """

    def __init__(self, d1: int, d2: int, width: int) -> None:
        super().__init__(d1, d2, width)
        self.p1, self.p2 = nn.Linear(d1, width), nn.Linear(d2, width)
        self.gru = nn.GRU(width, width, batch_first=True)
        self.out = nn.Linear(2 * width, width)

    def combine(self, c: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        seq = torch.stack([self.p1(c), self.p2(q)], dim=1)  # [B, 2, D]: one step per modality
        states, _ = self.gru(seq)  # [B, 2, D]
        return self.out(states.flatten(1))  # [B, 2*D] -> [B, D]


@register_fusion("cross_attention")
class CrossAttention(Fusion):
    """A Transformer cross-attention block: ``x2`` queries the tokens of ``x1`` (4 heads),
    residual + LayerNorm, then a feed-forward sublayer."""

    def __init__(self, d1: int, d2: int, width: int, heads: int = 4) -> None:
        nn.Module.__init__(self)  # no AttentionPool: attention *is* the fusion here
        self.d1, self.d2, self.width = d1, d2, width
        self.q, self.kv = nn.Linear(d2, width), nn.Linear(d1, width)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.ff = nn.Sequential(nn.Linear(width, 2 * width), nn.ReLU(), nn.Linear(2 * width, width))

    def forward(
        self, x1: torch.Tensor, x2: torch.Tensor, mask1: torch.Tensor | None = None
    ) -> torch.Tensor:
        if x1.dim() == 2:
            x1 = x1[:, None]  # [B, 1, D1]
        q = self.q(x2)[:, None]  # [B, 1, D]
        kv = self.kv(x1)  # [B, N1, D]
        pad = None if mask1 is None else ~mask1  # [B, N1], True = ignore
        a, _ = self.attn(q, kv, kv, key_padding_mask=pad, need_weights=False)  # [B, 1, D]
        h = self.norm1(q + a)  # [B, 1, D]
        return self.norm2(h + self.ff(h))[:, 0]  # [B, D]
