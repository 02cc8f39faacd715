"""Fusion modules: one signature for all, ``F(x1, x2, mask1=None) -> fused [B, D]``.

``x1`` is the *attended* modality, tokens ``[B, N1, D1]`` (an image feature map, audio
frames) or one vector ``[B, D1]``; ``x2`` is the *querying* modality, one vector ``[B, D2]``
(the pooled question, a decoder's text state); ``mask1 [B, N1]`` marks real tokens.

Every method except ``cross_attention`` first reduces ``x1`` to one context vector with the
same single-head attention pooling queried by ``x2`` (:class:`AttentionPool`), then combines
the two vectors its own way; ``cross_attention`` is a Transformer cross-attention block in
which ``x2`` attends to the tokens of ``x1``. So the methods differ only in how they combine.

A decoder queries the same tokens at every step: ``remember(x1, mask1)`` projects them once
(attention keys, and values for ``cross_attention``) and ``attend(memory, x2)`` does one
query; ``F(x1, x2, mask1)`` is ``attend(remember(x1, mask1), x2)``.

>>> import torch
>>> f = build_fusion("gated", d1=8, d2=6, width=4)
>>> tuple(f(torch.randn(2, 5, 8), torch.randn(2, 6)).shape)
(2, 4)
>>> sorted(FUSIONS)
['bilinear', 'concat', 'conv', 'cross_attention', 'gated', 'recurrent', 'weighted_sum']

Your own method: subclass :class:`Fusion` and implement ``combine`` (or ``remember`` and
``attend`` for attention of your own), then name it ``"pkg.module:Class"`` wherever a fusion
name goes (``mmbench train --fusion``, ``mmbench compare --fusion``); see :func:`resolve_fusion`.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass

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


def resolve_fusion(name: str) -> type[Fusion]:
    """The class of fusion ``name``: a registered method, or ``"pkg.module:Class"``, a
    :class:`Fusion` subclass of your own, imported on use (a checkpoint trained with it stores
    the same string, so it loads wherever that module imports).

    >>> resolve_fusion("gated").__name__, resolve_fusion("mmbench.models.fusion:Gated").name
    ('Gated', 'gated')
    """
    if name in FUSIONS:
        return FUSIONS[name]
    module, sep, attr = name.partition(":")
    if not sep:
        known = ", ".join(sorted(FUSIONS))
        raise KeyError(f"unknown fusion {name!r}; known fusions: {known}, or pkg.module:Class")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise KeyError(f"fusion {name!r}: cannot import {attr!r} from {module!r}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Fusion)):
        raise TypeError(f"fusion {name!r} is not a subclass of mmbench.models.fusion.Fusion")
    return cls


def build_fusion(name: str, d1: int, d2: int, width: int) -> Fusion:
    """Instantiate fusion ``name`` (see :func:`resolve_fusion`) for inputs of widths ``d1``,
    ``d2`` and output ``width``."""
    return resolve_fusion(name)(d1, d2, width)


@dataclass(frozen=True)
class Memory:
    """The attended tokens with their query-independent projections, computed once."""

    keys: torch.Tensor  # [B, N1, D1] (pooling) or [B, H, N1, Dh] (cross-attention)
    values: torch.Tensor  # [B, N1, D1] or [B, H, N1, Dh]
    mask: torch.Tensor | None  # [B, N1], True = a real token


def _tokens(x1: torch.Tensor) -> torch.Tensor:
    return x1[:, None] if x1.dim() == 2 else x1  # [B, N1, D1]


class AttentionPool(nn.Module):
    """Single-head dot-product attention of a query vector over tokens -> one context vector."""

    def __init__(self, d1: int, d2: int) -> None:
        super().__init__()
        self.query = nn.Linear(d2, d1)
        self.key = nn.Linear(d1, d1)

    def remember(self, x1: torch.Tensor, mask1: torch.Tensor | None) -> Memory:
        return Memory(self.key(x1), x1, mask1)  # keys [B, N1, D1], values = the tokens

    def forward(self, memory: Memory, x2: torch.Tensor) -> torch.Tensor:
        q = self.query(x2)  # [B, D1]
        scale = math.sqrt(memory.keys.shape[2])
        scores = (memory.keys @ q[:, :, None]).squeeze(2) / scale  # [B, N1]
        if memory.mask is not None:
            scores = scores.masked_fill(~memory.mask, float("-inf"))  # [B, N1]
        attn = scores.softmax(dim=1)  # [B, N1]
        return (attn[:, :, None] * memory.values).sum(dim=1)  # [B, D1]


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
        return self.attend(self.remember(x1, mask1), x2)  # [B, D]

    def remember(self, x1: torch.Tensor, mask1: torch.Tensor | None = None) -> Memory:
        """Project the tokens ``x1 [B, N1, D1]`` (or one vector ``[B, D1]``) once."""
        return self.pool.remember(_tokens(x1), mask1)

    def attend(self, memory: Memory, x2: torch.Tensor) -> torch.Tensor:
        """Fuse the remembered tokens with the query ``x2 [B, D2]`` -> ``[B, D]``."""
        return self.combine(self.pool(memory, x2), x2)  # [B, D1], [B, D2] -> [B, D]

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

    def remember(self, x1: torch.Tensor, mask1: torch.Tensor | None = None) -> Memory:
        """Keys and values of every head, projected once: ``[B, H, N1, D / H]`` each."""
        kv = self.kv(_tokens(x1))  # [B, N1, D]
        _, w_k, w_v = self.attn.in_proj_weight.chunk(3)  # [D, D] each
        _, b_k, b_v = self.attn.in_proj_bias.chunk(3)  # [D] each
        return Memory(
            self._heads(F.linear(kv, w_k, b_k)), self._heads(F.linear(kv, w_v, b_v)), mask1
        )

    def attend(self, memory: Memory, x2: torch.Tensor) -> torch.Tensor:
        """``nn.MultiheadAttention(q, kv, kv)`` with the key and value projections cached."""
        q = self.q(x2)  # [B, D]
        w_q, b_q = self.attn.in_proj_weight[: self.width], self.attn.in_proj_bias[: self.width]
        q_heads = self._heads(F.linear(q, w_q, b_q)[:, None])  # [B, H, 1, D / H]
        keep = None if memory.mask is None else memory.mask[:, None, None]  # [B, 1, 1, N1]
        a = F.scaled_dot_product_attention(q_heads, memory.keys, memory.values, attn_mask=keep)
        a = self.attn.out_proj(a.flatten(1))  # [B, D]
        h = self.norm1(q + a)  # [B, D]
        return self.norm2(h + self.ff(h))  # [B, D]

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        return x.view(b, n, self.attn.num_heads, -1).transpose(1, 2)  # [B, H, N, D / H]
