"""Encoders: padding in a batch changes nothing for the real tokens."""

from __future__ import annotations

import pytest
import torch

from mmbench.models.encoders import AudioEncoder, AudioEncoderConfig, waves_to_tensor


@pytest.mark.parametrize("bidirectional", [True, False])
def test_audio_padding_changes_nothing(bidirectional):
    torch.manual_seed(0)
    enc = AudioEncoder(AudioEncoderConfig(width=16, bidirectional=bidirectional)).eval()
    short, long = torch.randn(3_000), torch.randn(9_000)
    with torch.no_grad():
        alone = enc(*waves_to_tensor([short]))
        batch = enc(*waves_to_tensor([short, long]))
    n = int(alone.mask.sum())
    assert int(batch.mask[0].sum()) == n < int(batch.mask[1].sum())
    torch.testing.assert_close(batch.tokens[0, :n], alone.tokens[0, :n], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(batch.pooled[0], alone.pooled[0], atol=1e-5, rtol=1e-5)


def test_bidirectional_tokens_see_the_future():
    torch.manual_seed(0)
    enc = AudioEncoder(AudioEncoderConfig(width=16, bidirectional=True)).eval()
    wave = torch.randn(8_000)
    changed = wave.clone()
    changed[6_000:] = 0.0  # only the end differs
    with torch.no_grad():
        a, b = enc(*waves_to_tensor([wave])), enc(*waves_to_tensor([changed]))
    assert not torch.allclose(a.tokens[0, 0], b.tokens[0, 0])  # the first frame hears the end
