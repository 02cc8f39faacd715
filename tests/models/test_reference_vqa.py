"""The VQA assembly: region-wise fusion, max-pooled question, legacy checkpoints."""

from __future__ import annotations

import json

import pytest
import torch

from mmbench.models.encoders import TextEncoder, TextEncoderConfig
from mmbench.models.fusion import FUSIONS
from mmbench.models.heads import SPECIALS
from mmbench.models.reference import (
    FusionVQA,
    ReferenceConfig,
    load_checkpoint,
    save_checkpoint,
)

VOCAB = [*SPECIALS, "is", "there", "a", "red", "not", "shape"]


def _cfg(fusion: str, **kw) -> ReferenceConfig:
    return ReferenceConfig(kind="vqa", fusion=fusion, width=8, vocab=VOCAB,
                           answers=["yes", "no", "red"], **kw)  # fmt: skip


@pytest.mark.parametrize("pool", ["max", "last"])
def test_text_padding_changes_nothing(pool):
    torch.manual_seed(0)
    enc = TextEncoder(TextEncoderConfig(len(VOCAB), 8, pool)).eval()
    short = enc(torch.tensor([[4, 5, 6, 7]])).pooled  # [1, D]
    padded = enc(torch.tensor([[4, 5, 6, 7, 0, 0]])).pooled  # [1, D]
    torch.testing.assert_close(short, padded)


def test_max_pooled_question_sees_an_early_word():
    """With ``last`` an early word only reaches the vector through the GRU; ``max`` keeps
    every state, so the pooled vector is at least as large as the early word's own state."""
    torch.manual_seed(0)
    enc = TextEncoder(TextEncoderConfig(len(VOCAB), 8, "max")).eval()
    out = enc(torch.tensor([[7, 4, 5, 6, 9]]))
    assert torch.all(out.pooled[0] >= out.tokens[0, 0])
    with pytest.raises(ValueError, match="max or last"):
        TextEncoder(TextEncoderConfig(len(VOCAB), 8, "mean"))


@pytest.mark.parametrize("fusion", sorted(FUSIONS))
@pytest.mark.parametrize("regions", [True, False])
def test_vqa_gradients_reach_image_and_question(fusion, regions):
    torch.manual_seed(0)
    model = FusionVQA(_cfg(fusion, regions=regions))
    images = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    questions = torch.tensor([[4, 5, 6, 7, 9], [4, 5, 8, 9, 0], [4, 9, 0, 0, 0]])  # [3, L]
    logits = model(images, questions, torch.tensor([0, 1, 1]))  # [3, A]
    assert logits.shape == (3, 3) and torch.isfinite(logits).all()
    logits.sum().backward()
    for part in (model.image, model.text):
        grads = [p.grad for p in part.parameters() if p.grad is not None]
        assert grads and any(float(g.abs().sum()) > 0 for g in grads), part


def test_region_fusion_depends_on_where_the_question_looks():
    """Region-wise fusion is not the fusion of pooled inputs: changing one region of the image
    changes the answer logits of the region model."""
    torch.manual_seed(0)
    model = FusionVQA(_cfg("bilinear")).eval()
    img = torch.full((1, 3, 64, 64), 245, dtype=torch.uint8)
    other = img.clone()
    other[:, 0, 40:56, 40:56] = 200  # a red square in one corner region
    q = torch.tensor([[4, 5, 6, 7, 9]])
    assert not torch.allclose(model(img, q), model(other, q))


def test_checkpoint_without_new_options_loads_as_before(tmp_path):
    """Checkpoints written before ``regions`` and ``text_pool`` existed load as they were
    trained (strictly: every stored weight matches a parameter)."""
    torch.manual_seed(0)
    legacy = FusionVQA(_cfg("gated", regions=False, text_pool="last"))
    config = {"arch": "reference", "model": legacy.cfg.to_json()}
    for key in ("regions", "text_pool"):
        del config["model"][key]
    save_checkpoint(legacy, config, tmp_path / "old")
    model, _ = load_checkpoint(tmp_path / "old")
    assert model.cfg.regions is False and model.cfg.text_pool == "last"
    stored = json.loads((tmp_path / "old.json").read_text())
    assert "regions" not in stored["model"]


def test_audio_checkpoint_from_before_the_bidirectional_encoder_loads(tmp_path):
    from mmbench.models.encoders import AudioEncoderConfig
    from mmbench.models.reference import FusionCaptioner, ReferenceConfig

    audio = AudioEncoderConfig(bidirectional=False)
    cfg = ReferenceConfig(
        kind="asr", fusion="gated", width=16, vocab=[*SPECIALS, "hi"], audio=audio
    )
    config = {"arch": "reference", "model": cfg.to_json()}
    del config["model"]["audio"]["bidirectional"]
    save_checkpoint(FusionCaptioner(cfg), config, tmp_path / "old")
    model, _ = load_checkpoint(tmp_path / "old")  # strict: a GRU direction mismatch would raise
    assert model.cfg.audio.bidirectional is False
