"""Task heads on top of a fused representation.

- :class:`AnswerClassifier`: VQA as classification over the training answers.
- :class:`FusionDecoder`: an autoregressive text decoder; at every step the attended modality
  context is fused with the text state by the chosen fusion module (captioning from image
  tokens, transcription from audio frames); greedy and beam search.
- :class:`TaskGate`: task decoupling, several heads reading one shared fused vector, each
  through its own sigmoid gate.

Token ids: 0 padding, 1 unknown, 2 begin, 3 end (see :data:`SPECIALS`).

>>> import torch
>>> dec = FusionDecoder(vocab_size=10, width=8, memory_width=8, fusion="concat")
>>> out = dec.greedy(torch.randn(2, 5, 8), torch.ones(2, 5, dtype=torch.bool), max_len=4)
>>> len(out), all(len(o) <= 4 for o in out)
(2, True)
"""

from __future__ import annotations

import torch
from torch import nn

from mmbench.models.fusion import Memory, build_fusion

PAD, UNK, BOS, EOS = 0, 1, 2, 3
SPECIALS = ("<pad>", "<unk>", "<bos>", "<eos>")


class AnswerClassifier(nn.Module):
    """Fused ``[B, D]`` -> answer logits ``[B, A]`` through a one-hidden-layer perceptron."""

    def __init__(self, width: int, n_answers: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, n_answers))

    def forward(self, fused: torch.Tensor) -> torch.Tensor:
        return self.mlp(fused)  # [B, A]


class TaskGate(nn.Module):
    """Task decoupling: ``gate_t(h) = sigmoid(W_t h) * h`` for each task ``t`` sharing ``h``.

    >>> g = TaskGate(4, ["vqa", "caption"])
    >>> tuple(g(torch.ones(3, 4), "caption").shape)
    (3, 4)
    """

    def __init__(self, width: int, tasks: list[str]) -> None:
        super().__init__()
        self.gates = nn.ModuleDict({t: nn.Linear(width, width) for t in tasks})

    def forward(self, fused: torch.Tensor, task: str) -> torch.Tensor:
        if task not in self.gates:
            raise KeyError(f"no gate for task {task!r}; gates: {', '.join(self.gates)}")
        return torch.sigmoid(self.gates[task](fused)) * fused  # [B, D]


class FusionDecoder(nn.Module):
    """GRU text decoder whose every step fuses ``(memory tokens, text state)`` with ``fusion``.

    Step ``t``: ``h_t = GRUCell([embed(y_{t-1}); f_{t-1}], h_{t-1})``,
    ``f_t = F(memory, h_t)`` (the fusion attends to the memory), ``logits_t = W f_t``.
    """

    def __init__(self, vocab_size: int, width: int, memory_width: int, fusion: str) -> None:
        super().__init__()
        self.vocab_size, self.width = vocab_size, width
        self.embed = nn.Embedding(vocab_size, width, padding_idx=PAD)
        self.init = nn.Linear(memory_width, width)
        self.cell = nn.GRUCell(2 * width, width)
        self.fusion = build_fusion(fusion, memory_width, width, width)
        self.out = nn.Linear(width, vocab_size)

    def start(self, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(self.init(pooled))  # [B, D]
        return h, torch.zeros_like(h)  # state, previous fused vector

    def step(
        self,
        token: torch.Tensor,
        h: torch.Tensor,
        prev: torch.Tensor,
        memory: Memory,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """One token ``[B]`` -> logits ``[B, V]``, the new state and fused vector."""
        h = self.cell(torch.cat([self.embed(token), prev], dim=1), h)  # [B, D]
        fused = self.fusion.attend(memory, h)  # [B, D]
        return self.out(fused), h, fused  # logits [B, V]

    def forward(
        self, memory: torch.Tensor, pooled: torch.Tensor, mask: torch.Tensor, inputs: torch.Tensor
    ) -> torch.Tensor:
        """Teacher forcing: ``inputs [B, T]`` (BOS + target[:-1]) -> logits ``[B, T, V]``."""
        h, prev = self.start(pooled)  # [B, D] each
        remembered = self.fusion.remember(memory, mask)  # projected once, queried every step
        logits = []
        for t in range(inputs.shape[1]):
            step_logits, h, prev = self.step(inputs[:, t], h, prev, remembered)  # [B, V]
            logits.append(step_logits)
        return torch.stack(logits, dim=1)  # [B, T, V]

    @torch.no_grad()
    def greedy(
        self,
        memory: torch.Tensor,
        mask: torch.Tensor,
        max_len: int,
        pooled: torch.Tensor | None = None,
    ) -> list[list[int]]:
        """Most likely token at each step until EOS or ``max_len``; ids without BOS/EOS."""
        pooled = _masked_mean(memory, mask) if pooled is None else pooled  # [B, Dm]
        h, prev = self.start(pooled)
        remembered = self.fusion.remember(memory, mask)
        token = torch.full((memory.shape[0],), BOS, dtype=torch.long, device=memory.device)  # [B]
        out = torch.full((memory.shape[0], max_len), EOS, dtype=torch.long, device=memory.device)
        done = torch.zeros(memory.shape[0], dtype=torch.bool, device=memory.device)  # [B]
        for t in range(max_len):
            logits, h, prev = self.step(token, h, prev, remembered)  # [B, V]
            token = logits.argmax(dim=1).masked_fill(done, EOS)  # [B]
            out[:, t] = token
            done |= token == EOS
            if bool(done.all()):
                break
        return [_strip(row) for row in out.tolist()]

    @torch.no_grad()
    def beam(
        self,
        memory: torch.Tensor,
        mask: torch.Tensor,
        max_len: int,
        beam_size: int = 3,
        pooled: torch.Tensor | None = None,
    ) -> list[list[int]]:
        """Beam search; hypotheses ranked by log-probability per token (EOS counted)."""
        b, k, v = memory.shape[0], beam_size, self.vocab_size
        pooled = _masked_mean(memory, mask) if pooled is None else pooled  # [B, Dm]
        memory, mask = memory.repeat_interleave(k, 0), mask.repeat_interleave(k, 0)  # [B*k, ...]
        h, prev = self.start(pooled.repeat_interleave(k, 0))  # [B*k, D]
        remembered = self.fusion.remember(memory, mask)  # [B*k, ...]
        token = torch.full((b * k,), BOS, dtype=torch.long, device=memory.device)  # [B*k]
        scores = torch.full((b, k), float("-inf"), device=memory.device)  # [B, k]
        scores[:, 0] = 0.0  # all beams start identical: keep one
        finished = torch.zeros(b, k, dtype=torch.bool, device=memory.device)  # [B, k]
        lengths = torch.zeros(b, k, device=memory.device)  # [B, k]
        seqs = torch.zeros(b, k, 0, dtype=torch.long, device=memory.device)  # [B, k, t]
        only_eos = torch.full((v,), float("-inf"), device=memory.device)  # [V]
        only_eos[EOS] = 0.0  # a finished beam continues with EOS at no cost
        rows = torch.arange(b, device=memory.device)[:, None] * k  # [B, 1]
        for _ in range(max_len):
            logits, h, prev = self.step(token, h, prev, remembered)  # [B*k, V]
            logp = logits.log_softmax(dim=1).view(b, k, v)  # [B, k, V]
            logp = torch.where(finished[..., None], only_eos, logp)  # [B, k, V]
            top, idx = (scores[..., None] + logp).view(b, k * v).topk(k, dim=1)  # [B, k]
            src, token2d = idx // v, idx % v  # [B, k] parent beam, new token
            seqs = torch.cat(
                [seqs.gather(1, src[..., None].expand_as(seqs)), token2d[..., None]], 2
            )
            was_done = finished.gather(1, src)  # [B, k]
            lengths = lengths.gather(1, src) + (~was_done).float()  # [B, k]
            finished = was_done | (token2d == EOS)  # [B, k]
            scores = top
            flat = (rows + src).view(-1)  # [B*k] rows of the parents
            h, prev, token = h[flat], prev[flat], token2d.view(-1)
            if bool(finished.all()):
                break
        best = (scores / lengths.clamp(min=1)).argmax(dim=1)  # [B]
        return [_strip(seqs[i, best[i]].tolist()) for i in range(b)]


def _masked_mean(tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    m = mask[..., None].float()  # [B, N, 1]
    return (tokens * m).sum(1) / m.sum(1).clamp(min=1)  # [B, D]


def _strip(ids: list[int]) -> list[int]:
    """Ids up to the first EOS, without specials."""
    out = []
    for i in ids:
        if i == EOS:
            break
        if i > EOS:
            out.append(i)
    return out
