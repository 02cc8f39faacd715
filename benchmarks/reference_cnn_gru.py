"""A reference-sized VQA model for speed benchmarks (random weights, never trained):
a 4-layer CNN over 64x64 images and a GRU over hashed question words, fused by an MLP
into easy-VQA's 13 answers. ~2.3 M parameters. Used by the benchmarks in this folder only.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from mmbench.datasets.media import load_image
from mmbench.profiling import model_phase
from mmbench.types import Modality, Sample

ANSWERS = (
    "circle", "rectangle", "triangle", "red", "green", "blue", "black", "gray",
    "teal", "brown", "yellow", "yes", "no",
)  # fmt: skip
VOCAB, MAX_WORDS = 1000, 12


class CnnGru(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        chans = [3, 32, 64, 128, 256]
        layers: list[nn.Module] = []
        for cin, cout in zip(chans, chans[1:], strict=False):
            layers += [nn.Conv2d(cin, cout, 3, stride=2, padding=1), nn.ReLU()]
        self.cnn = nn.Sequential(*layers)  # [B, 3, 64, 64] -> [B, 256, 4, 4]
        self.img_proj = nn.Linear(256 * 4 * 4, 256)
        self.embed = nn.Embedding(VOCAB, 128)
        self.gru = nn.GRU(128, 256, batch_first=True)
        self.head = nn.Sequential(nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, len(ANSWERS)))

    def forward(self, images: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
        img = self.img_proj(self.cnn(images).flatten(1))  # [B, 256]
        _, h = self.gru(self.embed(words))  # h: [1, B, 256]
        return self.head(torch.cat([img, h[0]], dim=-1))  # [B, n_answers]


def encode(samples: Sequence[Sample]) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``[B, 3, 64, 64]`` float in [0, 1] and word ids ``[B, MAX_WORDS]``."""
    images = np.stack([load_image(s) for s in samples])  # [B, 64, 64, 3] uint8
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0)
    ids = torch.zeros(len(samples), MAX_WORDS, dtype=torch.long)
    for i, s in enumerate(samples):
        for j, w in enumerate((s.text or "").lower().split()[:MAX_WORDS]):
            ids[i, j] = zlib.crc32(w.encode()) % VOCAB
    return x, ids


class CnnGruVQA:
    """Adapter: exposes ``module``, casts with ``to(device, dtype=...)``, attributes its
    phases with ``model_phase``."""

    name = "cnn-gru-ref"
    modalities: tuple[Modality, ...] = (Modality.IMAGE, Modality.TEXT)

    def __init__(self) -> None:
        torch.manual_seed(0)
        self.module = CnnGru().eval()
        self.device, self.dtype = torch.device("cpu"), torch.float32

    def to(self, device: str, dtype: torch.dtype | None = None) -> None:
        self.device, self.dtype = torch.device(device), dtype or self.dtype
        self.module.to(self.device, self.dtype)

    @torch.inference_mode()
    def predict(self, samples: Sequence[Sample]) -> list[str]:
        with model_phase("preprocess"):
            images, words = encode(samples)
            images = images.to(self.device, self.dtype, non_blocking=True)
            words = words.to(self.device, non_blocking=True)
        with model_phase("forward"):
            logits = self.module(images, words)
        with model_phase("postprocess"):
            return [ANSWERS[i] for i in logits.argmax(-1).tolist()]

    def info(self) -> dict[str, Any]:
        return {"parameters": sum(p.numel() for p in self.module.parameters()), "weights": "random"}


def make_model(ctx: Any = None) -> CnnGruVQA:
    return CnnGruVQA()
