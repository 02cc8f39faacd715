"""``train --modality-dropout``: stand-ins replace images and questions in training batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mmbench.experiments.modality_dropout import STAND_IN_GREY, drop_modalities
from mmbench.experiments.train import TrainConfig, _batch, prepare, train
from mmbench.models.heads import PAD
from mmbench.types import AUDIO_SAMPLE_RATE, Sample, TaskKind


def _samples(spoken: bool) -> list[Sample]:
    rng = np.random.default_rng(0)
    t = np.arange(int(0.3 * AUDIO_SAMPLE_RATE)) / AUDIO_SAMPLE_RATE
    out = []
    for i in range(24):
        img = rng.integers(0, 100, (16, 16, 3)).astype(np.uint8)  # never the stand-in grey
        for j, (q, a) in enumerate((("what color is it", "red"), ("what shape is it", "circle"))):
            audio = np.sin(2 * np.pi * (300 + 900 * j) * t).astype(np.float32) if spoken else None
            out.append(Sample(id=f"{i}-{j}", kind=TaskKind.VQA, image=img, audio=audio,
                              text=None if spoken else q, references=(a,),
                              meta={"transcript": q.upper()} if spoken else {}))  # fmt: skip
    return out


def _vqa_batch(spoken: bool):
    data = prepare(_samples(spoken), TaskKind.VQA, image_size=16)
    vocab = {w: i + 4 for i, w in enumerate("what color is it shape".upper().split())}
    vocab |= {w.lower(): i for w, i in vocab.items()}
    return _batch(data, list(range(data.n_media)), vocab, {"red": 0, "circle": 1})


def test_written_questions_and_images_drop_but_never_both():
    batch = _vqa_batch(spoken=False)
    assert drop_modalities(batch, 0.0, torch.Generator()) is batch
    (images,), ids, targets, index, _ = drop_modalities(
        batch, 0.5, torch.Generator().manual_seed(1)
    )
    grey = (images == STAND_IN_GREY).flatten(1).all(1)  # [M]
    empty = (ids == PAD).all(1)  # [B]
    assert 0 < grey.sum() < len(grey) and 0 < empty.sum() < len(empty)
    assert not (empty & grey[index]).any()
    kept = ~empty
    assert torch.equal(ids[kept], batch[1][kept]) and torch.equal(targets, batch[2])
    assert torch.equal(images[~grey], batch[0][0][~grey])


def test_spoken_questions_become_silence_without_a_ctc_target():
    batch = _vqa_batch(spoken=True)
    (images,), (waves, lengths), _, index, words = drop_modalities(
        batch, 0.5, torch.Generator().manual_seed(2)
    )
    silent = ~waves.bool().any(1)  # [B]
    assert 0 < silent.sum() < len(silent)
    assert (lengths[silent] == min(waves.shape[1], AUDIO_SAMPLE_RATE)).all()
    assert (words[silent] == PAD).all() and (words[~silent] != PAD).any()


def test_training_with_modality_dropout_runs_and_is_recorded():
    cfg = TrainConfig(task="toy", fusion="concat", steps=6, width=16, batch_media=8, warmup=1,
                      val_fraction=0.0, modality_dropout=0.3)  # fmt: skip
    res = train(cfg, _samples(spoken=False), TaskKind.VQA)
    assert res.card["recipe"]["modality_dropout"] == 0.3
    caption = [Sample(id="c", kind=TaskKind.CAPTION, image=np.zeros((8, 8, 3), np.uint8),
                      references=("a thing",))]  # fmt: skip
    with pytest.raises(ValueError, match="two input modalities"):
        train(cfg, caption, TaskKind.CAPTION)


def test_modality_dropout_keeps_the_data_order(monkeypatch):
    """Dropout draws from its own generator, so a run with it sees the same batches as one
    without (a comparison of P isolates the dropout, not a reshuffled data order)."""
    import mmbench.experiments.train as train_module

    def batches(p: float) -> list[list[int]]:
        seen: list[list[int]] = []

        def spy(data, media, *args):
            seen.append(list(media))
            return _batch(data, media, *args)

        monkeypatch.setattr(train_module, "_batch", spy)
        cfg = TrainConfig(task="toy", fusion="concat", steps=8, width=16, batch_media=8,
                          warmup=1, val_fraction=0.0, modality_dropout=p)  # fmt: skip
        train(cfg, _samples(spoken=False), TaskKind.VQA)
        return seen

    assert batches(0.5) == batches(0.0)
