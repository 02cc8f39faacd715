"""Learned stand-ins: loading, fingerprint, clean outputs untouched, missing inputs use them."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from mmbench.adapters.base import fingerprint
from mmbench.adapters.reference import load_reference
from mmbench.models.reference import sha256_file
from mmbench.models.stand_in import StandIns, load_stand_ins, save_stand_ins, stand_in_path
from tests.fixtures.tiny_vqa import TOKENS, WIDTH, tiny_checkpoint, tiny_samples


def _with_stand_ins(weights, image=None, question=None):
    s = StandIns(image if image is not None else torch.randn(TOKENS, WIDTH),
                 question if question is not None else torch.randn(WIDTH))  # fmt: skip
    return save_stand_ins(s, stand_in_path(weights), {"checkpoint_sha256": sha256_file(weights)})


def test_loads_next_to_the_weights_and_enters_the_fingerprint(tmp_path):
    weights = tiny_checkpoint(tmp_path)
    plain = load_reference(weights, "ref-gated")
    assert plain.stand_ins is None and "stand_in_sha256" not in plain.info()
    path = _with_stand_ins(weights, torch.ones(TOKENS, WIDTH), torch.zeros(WIDTH))
    model = load_reference(weights, "ref-gated")
    assert torch.equal(model.stand_ins.image, torch.ones(TOKENS, WIDTH))
    assert model.info()["stand_in_sha256"] == sha256_file(path)
    assert fingerprint(model, "ref-gated") != fingerprint(plain, "ref-gated")


def test_refuses_a_stand_in_fitted_to_other_weights_or_width(tmp_path):
    weights = tiny_checkpoint(tmp_path)
    s = StandIns(torch.zeros(4, WIDTH), torch.zeros(WIDTH))
    path = save_stand_ins(s, tmp_path / "x.stand-in.safetensors", {"checkpoint_sha256": "abc"})
    with pytest.raises(ValueError, match="fitted to weights with sha256 abc"):
        load_stand_ins(path, sha256_file(weights), WIDTH)
    with pytest.raises(ValueError, match="expected tensors"):
        load_stand_ins(path, "abc", WIDTH + 1)
    flat = StandIns(torch.zeros(WIDTH), None)  # image tokens must be [N, width]
    path = save_stand_ins(flat, tmp_path / "y.stand-in.safetensors", {"checkpoint_sha256": "abc"})
    with pytest.raises(ValueError, match=rf"found \{{'image': \[{WIDTH}\]\}}"):
        load_stand_ins(path, "abc", WIDTH)


@pytest.mark.parametrize("spoken", [False, True])
def test_complete_inputs_unchanged_missing_inputs_use_the_stand_in(tmp_path, spoken):
    weights = tiny_checkpoint(tmp_path, spoken)
    samples = tiny_samples(spoken, n=3)
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
