"""``seed``: the example model of the founding design note (§5), made to run.

The note's model, as published::

    conv1 = Conv2d(3, 64, k3, p1); conv2 = Conv2d(64, 128, k3, p1)
    rnn = LSTM(128, 128, batch_first=True); fc = Linear(128, 10)
    forward(x1, x2): x = cat([conv1(x1), conv2(x2)], dim=1); x = rnn(x)[0]; return fc(x)

cannot run. The smallest faithful corrections, each marked ``fix N`` in the code:

1. ``conv2`` takes 64 channels, so the text must be a 64-channel "image": the question's words
   are embedded in 64 dimensions and laid out as a ``[B, 64, 1, L]`` map (height 1, one column
   per word), which ``conv2`` turns into ``[B, 128, 1, L]``.
2. ``cat(dim=1)`` needs equal spatial sizes: the image map ``[B, 64, H, W]`` is max-pooled over
   space to ``[B, 64, 1, 1]`` and repeated along the words to ``[B, 64, 1, L]``.
3. The concatenation has 64 + 128 = 192 channels, but the LSTM expects 128 input features: the
   LSTM input size becomes 192 (hidden size stays 128).
4. The LSTM was handed a 4-D tensor: ``[B, 192, 1, L]`` is read as a sequence ``[B, L, 192]``
   (one step per word, each step seeing the word and the image).
5. ``fc`` was applied to every LSTM step: it reads the LSTM output at the last real word, and has
   one output per answer (13 for easy-VQA) instead of 10.

Branches, layer sizes, the concatenation and the absence of non-linearities are kept as published.

>>> import torch
>>> m = SeedModel(SeedConfig(vocab=["<pad>", "<unk>", "<bos>", "<eos>", "red"], answers=["a", "b"]))
>>> tuple(m(torch.zeros(2, 3, 64, 64, dtype=torch.uint8), torch.tensor([[4, 4], [4, 0]])).shape)
(2, 2)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn


@dataclass
class SeedConfig:
    """Vocabulary (question words, specials first) and answers; sizes are the note's."""

    vocab: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    image_size: int = 64

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def vocab_index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}


class SeedModel(nn.Module):
    """The founding note's MultiModalModel with fixes 1-5 (see the module docstring)."""

    def __init__(self, cfg: SeedConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(len(cfg.vocab), 64, padding_idx=0)  # fix 1
        self.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1)
        self.conv2 = nn.Conv2d(64, 128, kernel_size=3, stride=1, padding=1)
        self.rnn = nn.LSTM(192, 128, num_layers=1, batch_first=True)  # fix 3
        self.fc = nn.Linear(128, len(cfg.answers))  # fix 5

    def forward(
        self, images: torch.Tensor, questions: torch.Tensor, image_index: torch.Tensor | None = None
    ) -> torch.Tensor:
        """``images [M, 3, S, S]`` uint8, ``questions [B, L]`` ids -> logits ``[B, A]``."""
        x1 = self.conv1(images.float() / 255.0 - 0.5)  # [M, 64, S, S]
        x1 = x1.amax(dim=(2, 3), keepdim=True)  # fix 2: [M, 64, 1, 1]
        if image_index is not None:
            x1 = x1[image_index]  # [B, 64, 1, 1]
        x2 = self.embed(questions).transpose(1, 2)[:, :, None]  # fix 1: [B, 64, 1, L]
        x2 = self.conv2(x2)  # [B, 128, 1, L]
        x1 = x1.expand(-1, -1, 1, x2.shape[3])  # fix 2: [B, 64, 1, L]
        x = torch.cat([x1, x2], dim=1)  # [B, 192, 1, L]
        x = x.squeeze(2).transpose(1, 2)  # fix 4: [B, L, 192]
        x = self.rnn(x)[0]  # [B, L, 128]
        last = ((questions != 0).sum(dim=1) - 1).clamp(min=0)  # [B]
        x = x[torch.arange(x.shape[0], device=x.device), last]  # fix 5: [B, 128]
        return self.fc(x)  # [B, A]

    def answer(self, images: torch.Tensor, questions: torch.Tensor) -> list[str]:
        logits = self(images, questions)  # [B, A]
        return [self.cfg.answers[i] for i in logits.argmax(dim=1).tolist()]
