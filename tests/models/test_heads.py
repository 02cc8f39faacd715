"""Decoder (teacher forcing, greedy, beam), answer classifier and task gate."""

from __future__ import annotations

import pytest
import torch

from mmbench.models.heads import EOS, FusionDecoder, TaskGate, _strip


def _decoder(fusion="gated"):
    torch.manual_seed(0)
    return FusionDecoder(vocab_size=9, width=8, memory_width=6, fusion=fusion).eval()


def test_teacher_forcing_shapes():
    dec = _decoder()
    mem, mask = torch.randn(2, 5, 6), torch.ones(2, 5, dtype=torch.bool)
    logits = dec(mem, mem.mean(1), mask, torch.tensor([[2, 4, 5], [2, 6, 0]]))
    assert logits.shape == (2, 3, 9) and torch.isfinite(logits).all()


def test_beam_of_one_equals_greedy():
    dec = _decoder()
    mem, mask = torch.randn(3, 5, 6), torch.ones(3, 5, dtype=torch.bool)
    assert dec.beam(mem, mask, max_len=6, beam_size=1) == dec.greedy(mem, mask, max_len=6)


@pytest.mark.parametrize("fusion", ["gated", "cross_attention"])
def test_batched_beam_equals_one_by_one(fusion):
    dec = _decoder(fusion)
    mem = torch.randn(3, 5, 6)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=torch.bool)
    together = dec.beam(mem, mask, max_len=6, beam_size=3)
    alone = [dec.beam(mem[i : i + 1], mask[i : i + 1], max_len=6, beam_size=3)[0] for i in range(3)]
    assert together == alone
    assert all(len(s) <= 6 and all(3 < t < 9 for t in s) for s in together)


def test_strip_stops_at_eos_and_drops_specials():
    assert _strip([5, 1, 6, EOS, 7]) == [5, 6]


def test_task_gate():
    g = TaskGate(4, ["vqa", "caption"])
    h = torch.randn(2, 4)
    assert not torch.allclose(g(h, "vqa"), g(h, "caption"))
    with pytest.raises(KeyError, match="asr"):
        g(h, "asr")
