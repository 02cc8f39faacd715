"""Modality encoders: image (small CNN), text (embedding + GRU), audio (log-mel + conv + GRU).

Every encoder returns an :class:`Encoded` triple: ``tokens [B, N, D]`` (a feature map or a
sequence), ``pooled [B, D]`` and ``mask [B, N]`` (True where a token is real, not padding).

>>> import torch
>>> enc = ImageEncoder(ImageEncoderConfig(width=32))
>>> out = enc(torch.zeros(2, 3, 64, 64, dtype=torch.uint8))
>>> tuple(out.tokens.shape), tuple(out.pooled.shape)
((2, 16, 32), (2, 32))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mmbench.types import AUDIO_SAMPLE_RATE


class Encoded(NamedTuple):
    """What an encoder hands to fusion: tokens, one pooled vector, and the token mask."""

    tokens: torch.Tensor  # [B, N, D]
    pooled: torch.Tensor  # [B, D]
    mask: torch.Tensor  # [B, N] bool, True = real token


# ---------------------------------------------------------------------------------- image


@dataclass
class ImageEncoderConfig:
    """Stride-2 3x3 convolution + BatchNorm + ReLU blocks; images are resized to ``size``."""

    width: int = 64
    channels: tuple[int, ...] = (16, 32, 64, 64)
    size: int = 64


class ImageEncoder(nn.Module):
    """uint8 images ``[B, 3, S, S]`` -> a ``(S / 2^k)^2``-token feature map + its mean."""

    def __init__(self, cfg: ImageEncoderConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for c in cfg.channels:
            layers += [nn.Conv2d(c_in, c, 3, stride=2, padding=1), nn.BatchNorm2d(c), nn.ReLU()]
            c_in = c
        self.convs = nn.Sequential(*layers)
        self.proj = nn.Linear(c_in, cfg.width)

    def forward(self, images: torch.Tensor) -> Encoded:
        x = images.float() / 255.0 - 0.5  # [B, 3, S, S] in [-0.5, 0.5]
        x = self.convs(x)  # [B, C, h, w]
        tokens = self.proj(x.flatten(2).transpose(1, 2))  # [B, h*w, D]
        mask = torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device)  # [B, h*w]
        return Encoded(tokens, tokens.mean(dim=1), mask)  # pooled: [B, D]


def images_to_tensor(images: list, size: int) -> torch.Tensor:
    """RGB uint8 arrays ``[H, W, 3]`` (any sizes) -> one uint8 batch ``[B, 3, size, size]``."""
    out = []
    for img in images:
        x = torch.from_numpy(np.array(img, dtype=np.uint8)).permute(2, 0, 1)  # [3, H, W]
        if x.shape[1:] != (size, size):
            x = F.interpolate(x[None].float(), size=(size, size), mode="bilinear", antialias=True)
            x = x[0].round().clamp(0, 255).to(torch.uint8)  # [3, size, size]
        out.append(x)
    return torch.stack(out)  # [B, 3, size, size]


# ----------------------------------------------------------------------------------- text


@dataclass
class TextEncoderConfig:
    """Token embedding + a one-layer GRU; token id 0 is padding.

    ``pool``: ``max`` (element-wise max over the real GRU states) or ``last`` (the last real
    state).
    """

    vocab_size: int = 64
    width: int = 64
    pool: str = "max"


class TextEncoder(nn.Module):
    """Token ids ``[B, L]`` (0 = padding, right-padded) -> GRU states + a pooled state."""

    def __init__(self, cfg: TextEncoderConfig) -> None:
        super().__init__()
        if cfg.pool not in ("max", "last"):
            raise ValueError(f"text pool must be max or last, got {cfg.pool!r}")
        self.pool = cfg.pool
        self.embed = nn.Embedding(cfg.vocab_size, cfg.width, padding_idx=0)
        self.gru = nn.GRU(cfg.width, cfg.width, batch_first=True)

    def forward(self, ids: torch.Tensor) -> Encoded:
        mask = ids != 0  # [B, L]
        tokens, _ = self.gru(self.embed(ids))  # [B, L, D]; causal, so padding never leaks back
        last = (mask.sum(dim=1) - 1).clamp(min=0)  # [B]
        if self.pool == "max":  # every word's state stays visible ("red", "not")
            pooled = tokens.masked_fill(~mask[..., None], float("-inf")).amax(dim=1)  # [B, D]
            pooled = torch.where(mask.any(dim=1, keepdim=True), pooled, 0.0)  # empty -> 0
        else:
            pooled = tokens[torch.arange(ids.shape[0], device=ids.device), last]  # [B, D]
        return Encoded(tokens, pooled, mask)


# ---------------------------------------------------------------------------------- audio


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int, f_min: float = 0.0) -> torch.Tensor:
    """HTK-scale triangular filters ``[n_fft // 2 + 1, n_mels]`` (built here: no torchaudio).

    >>> fb = mel_filterbank(80, 400, 16000)
    >>> tuple(fb.shape), bool((fb >= 0).all())
    ((201, 80), True)
    """

    def hz_to_mel(f: torch.Tensor) -> torch.Tensor:
        return 2595.0 * torch.log10(1.0 + f / 700.0)

    def mel_to_hz(m: torch.Tensor) -> torch.Tensor:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    freqs = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)  # [F]
    lo, hi = hz_to_mel(torch.tensor(f_min)), hz_to_mel(torch.tensor(sample_rate / 2))
    edges = mel_to_hz(torch.linspace(float(lo), float(hi), n_mels + 2, dtype=torch.float64))
    left, center, right = edges[:-2], edges[1:-1], edges[2:]  # [M] each
    up = (freqs[:, None] - left) / (center - left)  # [F, M]
    down = (right - freqs[:, None]) / (right - center)  # [F, M]
    return torch.clamp(torch.minimum(up, down), min=0.0).float()  # [F, M]


class LogMel(nn.Module):
    """Waveform ``[B, T]`` at 16 kHz -> 80-bin log-mel ``[B, frames, 80]`` (25 ms / 10 ms)."""

    def __init__(self, n_mels: int = 80, n_fft: int = 400, hop: int = 160) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        fb = mel_filterbank(n_mels, n_fft, AUDIO_SAMPLE_RATE)
        self.register_buffer("fbank", fb, persistent=False)  # [F, M]

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = torch.stft(
            wave,
            self.n_fft,
            self.hop,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )  # [B, F, frames]; zero edges: a clip padded in a batch gives the same frames as alone
        power = spec.abs().pow(2).transpose(1, 2)  # [B, frames, F]
        return torch.log(power @ self.fbank + 1e-6)  # [B, frames, M]

    def frames(self, n_samples: torch.Tensor) -> torch.Tensor:
        """Frames produced for waveforms of ``n_samples`` (``center=True``)."""
        return n_samples // self.hop + 1


@dataclass
class AudioEncoderConfig:
    """Log-mel -> two stride-2 convolutions (4x fewer frames) -> linear -> GRU.

    ``bidirectional``: the GRU reads the frames both ways (``width // 2`` per direction), so
    every frame token sees the whole utterance, as in offline ASR encoders (LAS, BLSTM).
    """

    width: int = 64
    n_mels: int = 80
    conv_channels: int = 16
    bidirectional: bool = True


class AudioEncoder(nn.Module):
    """Waveforms ``[B, T]`` + lengths ``[B]`` -> frame tokens ``[B, ~T/640, D]``."""

    def __init__(self, cfg: AudioEncoderConfig) -> None:
        super().__init__()
        self.logmel = LogMel(cfg.n_mels)
        c = cfg.conv_channels
        self.subsample = nn.Sequential(
            nn.Conv2d(1, c, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c, c, 3, stride=2, padding=1), nn.ReLU(),
        )  # fmt: skip
        self.proj = nn.Linear(c * math.ceil(math.ceil(cfg.n_mels / 2) / 2), cfg.width)
        self.bidirectional = cfg.bidirectional
        hidden = cfg.width // 2 if cfg.bidirectional else cfg.width
        self.gru = nn.GRU(cfg.width, hidden, batch_first=True, bidirectional=cfg.bidirectional)

    def forward(self, wave: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        feats = self.logmel(wave)  # [B, frames, M]
        n_frames = self.logmel.frames(lengths).clamp(max=feats.shape[1])  # [B]
        fmask = torch.arange(feats.shape[1], device=wave.device)[None] < n_frames[:, None]
        w = fmask[..., None].float()  # [B, frames, 1]; statistics over real frames only
        count = n_frames[:, None, None] * feats.shape[2]  # [B, 1, 1]
        mean = (feats * w).sum(dim=(1, 2), keepdim=True) / count  # [B, 1, 1]
        var = (((feats - mean) * w) ** 2).sum(dim=(1, 2), keepdim=True) / count  # [B, 1, 1]
        feats = (feats - mean) / (var.sqrt() + 1e-5) * w  # [B, frames, M]; padding -> 0
        conv1, relu1, conv2, relu2 = self.subsample
        x = relu1(conv1(feats[:, None]))  # [B, C, frames/2, M/2]
        n = (n_frames + 1) // 2  # [B] real frames after the first stride-2 conv
        # zero the padding again, so a padded clip sees what it sees alone at its end
        x = x * (torch.arange(x.shape[2], device=wave.device)[None] < n[:, None])[:, None, :, None]
        x = relu2(conv2(x))  # [B, C, frames/4, M/4]
        x = self.proj(x.permute(0, 2, 1, 3).flatten(2))  # [B, N, D]
        n = ((n + 1) // 2).clamp(min=1, max=x.shape[1])  # [B] tokens after the second
        mask = torch.arange(x.shape[1], device=wave.device)[None] < n[:, None]  # [B, N]
        if self.bidirectional:  # packed: the backward direction starts at the last real frame
            packed = nn.utils.rnn.pack_padded_sequence(
                x, n.cpu(), batch_first=True, enforce_sorted=False
            )
            out, _ = self.gru(packed)
            tokens, _ = nn.utils.rnn.pad_packed_sequence(
                out, batch_first=True, total_length=x.shape[1]
            )  # [B, N, D]; padding -> 0
        else:
            tokens, _ = self.gru(x)  # [B, N, D]; causal, padding never leaks back
        pooled = (tokens * mask[..., None]).sum(1) / n[:, None]  # [B, D]
        return Encoded(tokens, pooled, mask)


def waves_to_tensor(waves: list) -> tuple[torch.Tensor, torch.Tensor]:
    """float32 waveforms ``[T_i]`` -> zero-padded batch ``[B, T_max]`` + lengths ``[B]``."""
    lengths = torch.tensor([len(w) for w in waves], dtype=torch.long)  # [B]
    batch = torch.zeros(len(waves), int(lengths.max()), dtype=torch.float32)  # [B, T_max]
    for i, w in enumerate(waves):
        batch[i, : len(w)] = torch.as_tensor(w, dtype=torch.float32)
    return batch, lengths
