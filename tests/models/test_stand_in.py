"""Learned stand-ins: loading, fingerprint, clean outputs untouched, missing inputs use them,
fitting lowers the missing-input loss."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mmbench.adapters.base import fingerprint
from mmbench.adapters.reference import load_reference
from mmbench.experiments.stand_ins import StandInFit, fit_checkpoint
from mmbench.models.encoders import AudioEncoderConfig, ImageEncoderConfig
from mmbench.models.heads import SPECIALS
from mmbench.models.reference import (
    ReferenceConfig,
    build_reference,
    save_checkpoint,
    sha256_file,
)
from mmbench.models.stand_in import StandIns, load_stand_ins, save_stand_ins, stand_in_path
from mmbench.types import AUDIO_SAMPLE_RATE, Sample, TaskKind

WIDTH = 8
QUESTIONS = (("what color is it", "red"), ("what shape is it", "circle"))


TOKENS = 16  # 16 x 16 images after two stride-2 convolutions: 4 x 4 regions


def _checkpoint(tmp_path, spoken: bool = False):
    torch.manual_seed(0)
    cfg = ReferenceConfig(
        kind="vqa", fusion="gated", width=WIDTH,
        vocab=[*SPECIALS, "what", "color", "is", "it", "shape"], answers=["circle", "red"],
        image=ImageEncoderConfig(channels=(4, 8), size=16),
        audio=AudioEncoderConfig(n_mels=16, conv_channels=4),
        question="audio" if spoken else "text",
    )  # fmt: skip
    model = build_reference(cfg)
    config = {"arch": "reference", "model": cfg.to_json(), "recipe": {"fusion": "gated"}}
    return save_checkpoint(model, config, tmp_path / "tiny-gated")


def _samples(spoken: bool = False, n: int = 12) -> list[Sample]:
    rng = np.random.default_rng(0)
    t = np.arange(int(0.3 * AUDIO_SAMPLE_RATE)) / AUDIO_SAMPLE_RATE
    out = []
    for i in range(n):
        img = rng.integers(0, 255, (16, 16, 3)).astype(np.uint8)
        for j, (q, a) in enumerate(QUESTIONS):
            audio = np.sin(2 * np.pi * (300 + 900 * j) * t).astype(np.float32) if spoken else None
            out.append(Sample(id=f"{i}-{j}", kind=TaskKind.VQA, image=img, audio=audio,
                              text=None if spoken else q, references=(a,)))  # fmt: skip
    return out


def _with_stand_ins(weights, image=None, question=None):
    s = StandIns(image if image is not None else torch.randn(TOKENS, WIDTH),
                 question if question is not None else torch.randn(WIDTH))  # fmt: skip
    return save_stand_ins(s, stand_in_path(weights), {"checkpoint_sha256": sha256_file(weights)})


def test_loads_next_to_the_weights_and_enters_the_fingerprint(tmp_path):
    weights = _checkpoint(tmp_path)
    plain = load_reference(weights, "ref-gated")
    assert plain.stand_ins is None and "stand_in_sha256" not in plain.info()
    path = _with_stand_ins(weights, torch.ones(TOKENS, WIDTH), torch.zeros(WIDTH))
    model = load_reference(weights, "ref-gated")
    assert torch.equal(model.stand_ins.image, torch.ones(TOKENS, WIDTH))
    assert model.info()["stand_in_sha256"] == sha256_file(path)
    assert fingerprint(model, "ref-gated") != fingerprint(plain, "ref-gated")


def test_refuses_a_stand_in_fitted_to_other_weights_or_width(tmp_path):
    weights = _checkpoint(tmp_path)
    s = StandIns(torch.zeros(4, WIDTH), torch.zeros(WIDTH))
    path = save_stand_ins(s, tmp_path / "x.stand-in.safetensors", {"checkpoint_sha256": "abc"})
    with pytest.raises(ValueError, match="fitted to weights with sha256 abc"):
        load_stand_ins(path, sha256_file(weights), WIDTH)
    with pytest.raises(ValueError, match="expected tensors"):
        load_stand_ins(path, "abc", WIDTH + 1)


@pytest.mark.parametrize("spoken", [False, True])
def test_complete_inputs_unchanged_missing_inputs_use_the_stand_in(tmp_path, spoken):
    weights = _checkpoint(tmp_path, spoken)
    samples = _samples(spoken, n=3)
    plain = load_reference(weights, "ref-gated")
    _with_stand_ins(weights)
    model = load_reference(weights, "ref-gated")
    assert model.predict(samples) == plain.predict(samples)

    question_field = "audio" if spoken else "text"
    no_image = [dataclasses.replace(s, image=None) for s in samples]
    no_question = [dataclasses.replace(s, **{question_field: None}) for s in samples]
    module, s = model.module, model.stand_ins
    with torch.no_grad():
        images = torch.stack([torch.from_numpy(x.image).permute(2, 0, 1) for x in samples])
        tokens = module.image(images).tokens  # [B, N, D]
        if spoken:
            waves = torch.from_numpy(np.stack([x.audio for x in samples]))  # [B, T]
            q = module.question((waves, torch.full((len(samples),), waves.shape[1])))[0]
        else:
            ids = torch.tensor([[4, 5, 6, 7], [4, 8, 6, 7]] * len(samples))[: len(samples)]
            q = module.question(ids)[0]  # [B, D]
        want_image = module.fuse(s.image[None].expand_as(tokens), q).argmax(1)  # [B]
        want_question = module.fuse(tokens, s.question[None].expand_as(q)).argmax(1)
    answers = module.cfg.answers
    assert model.predict(no_image) == [answers[i] for i in want_image.tolist()]
    assert model.predict(no_question) == [answers[i] for i in want_question.tolist()]


@pytest.mark.parametrize("spoken", [False, True])
def test_fitting_lowers_the_missing_input_loss(tmp_path, spoken):
    """The answer depends on the question only: without the image the stand-in can learn to
    answer it; without the question, the answers' balance."""
    weights = _checkpoint(tmp_path, spoken)
    before = weights.read_bytes()
    out = tmp_path / "out"
    res = fit_checkpoint(weights, _samples(spoken), out, StandInFit(steps=60, lr=0.1, batch=16))
    assert res.path == out / "tiny-gated.stand-in.safetensors"
    r = res.report
    assert r["loss_after"]["image"] < r["loss_before"]["image"]
    assert r["loss_after"]["question"] < r["loss_before"]["question"]
    assert weights.read_bytes() == before  # the model itself is only read
    loaded = load_stand_ins(res.path, sha256_file(weights), WIDTH)
    assert loaded.image.shape == (TOKENS, WIDTH) and loaded.question.shape == (WIDTH,)
