import dataclasses
from pathlib import Path

import pytest

from mmbench.types import MediaError, Modality, Prediction, Sample, TaskKind


def test_sample_is_frozen_and_meta_is_read_only():
    s = Sample(id="a", kind=TaskKind.VQA, text="q", references=["x"], meta={"k": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.id = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.meta["k"] = 2  # type: ignore[index]
    assert s.references == ("x",)


def test_modalities_follow_what_is_present(tmp_path: Path):
    s = Sample(id="a", kind=TaskKind.VQA, image_path=tmp_path / "x.png", text="q")
    assert s.modalities == (Modality.IMAGE, Modality.TEXT)
    assert not s.has(Modality.AUDIO)


def test_prediction_ok_flag():
    assert Prediction("a", "x").ok
    assert not Prediction("a", None, "boom").ok


def test_samples_and_media_errors_pickle_for_dataloader_workers(tmp_path: Path):
    import pickle

    s = Sample(id="a", kind=TaskKind.VQA, text="q", references=("x",), meta={"k": 1})
    back = pickle.loads(pickle.dumps(s))
    assert back == s and back.meta["k"] == 1
    with pytest.raises(TypeError):
        back.meta["k"] = 2  # type: ignore[index]
    err = pickle.loads(pickle.dumps(MediaError("a", tmp_path / "x.png", "bad")))
    assert err.sample_id == "a" and "bad" in str(err)
