import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

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


def test_media_is_decoded_only_on_demand(tmp_path: Path):
    path = tmp_path / "img.png"
    s = Sample(id="a", kind=TaskKind.CAPTION, image_path=path)
    assert s.image is None  # nothing touched yet: the file does not even exist
    Image.fromarray(np.full((3, 4, 3), 200, np.uint8)).save(path)
    d = s.decoded()
    assert d.image.shape == (3, 4, 3) and d.image.dtype == np.uint8
    assert d == s  # decoded arrays are not part of identity
    assert d.without_media().image is None


def test_missing_media_names_sample_and_path(tmp_path: Path):
    s = Sample(id="q7", kind=TaskKind.ASR, audio_path=tmp_path / "gone.flac")
    with pytest.raises(MediaError, match=r"sample 'q7'.*gone\.flac.*file not found"):
        s.load_audio()


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
