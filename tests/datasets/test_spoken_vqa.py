"""spoken_vqa: shipped test split, its reader, bad index files, synthesis."""

from __future__ import annotations

import json
import shutil

import easy_vqa
import numpy as np
import pytest

from mmbench.datasets import _speech, spoken_vqa
from mmbench.datasets._embedded import read_marker
from mmbench.datasets.media import decode
from mmbench.tasks import DataMissingError, load_task
from mmbench.types import Modality, TaskKind


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("svqa")
    assert spoken_vqa.install_test(root)
    return root


def test_reader_yields_audio_image_samples(root):
    reader = spoken_vqa.SpokenVQAReader(split="test", data_root=root)
    samples = list(reader)
    assert len(reader) == len(samples) == spoken_vqa.SPLITS["test"][0] == 500
    questions, answers, image_ids = easy_vqa.get_test_questions()
    speakers = {s.id for s in _speech.speakers_for("test")}
    for s in samples:
        qid = int(s.id.split("-")[1])
        assert s.kind is TaskKind.VQA and s.text is None
        assert s.modalities == (Modality.IMAGE, Modality.AUDIO)
        assert s.references == (answers[qid],) * 10
        assert s.meta["image_id"] == image_ids[qid] and s.meta["speaker"] in speakers
        assert "transcript" not in s.meta  # a test question must be heard, not read
        assert s.image_path.is_file() and s.audio_path.is_file()
    decoded = decode(samples[0])
    assert decoded.image.shape == (64, 64, 3) and decoded.audio.dtype == np.float32
    assert len(decoded.audio) > 8000


def test_index_transcripts_match_easy_vqa(root):
    doc = json.loads((root / spoken_vqa.FOLDER / "test" / spoken_vqa.INDEX).read_text())
    questions, _, _ = easy_vqa.get_test_questions()
    clips: dict[str, str] = {}
    for q in doc["questions"]:
        assert q["transcript"] == _speech.normalize_transcript(questions[q["question_id"]])
        assert (
            clips.setdefault(q["audio"], q["transcript"]) == q["transcript"]
        )  # a clip is one text
    assert len({q["question_id"] for q in doc["questions"]}) == 500


def test_shipped_manifest_and_copy(root):
    manifest = json.loads((spoken_vqa.shipped_root() / spoken_vqa.MANIFEST).read_text())
    target = root / spoken_vqa.FOLDER / "test"
    assert read_marker(target)["content_sha256"] == manifest["content_sha256"]
    assert not spoken_vqa.install_test(root)


def test_task_reads_through_the_generator(root, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)  # no train synthesis here
    task = load_task("spoken_vqa")
    assert task.generator == "spoken_vqa" and task.reader == "spoken_vqa"
    ids = [s.id for s in task.samples(root)]
    assert len(ids) == 500 and len(set(ids)) == 500


def test_missing_index_says_how_to_get_it(tmp_path):
    with pytest.raises(DataMissingError, match="questions.json not found.*espeak-ng"):
        spoken_vqa.SpokenVQAReader(split="train", data_root=tmp_path)


def _index(tmp_path, text):
    split = tmp_path / spoken_vqa.FOLDER / "x"
    split.mkdir(parents=True)
    (split / spoken_vqa.INDEX).write_text(text)


def test_malformed_index_names_line_and_column(tmp_path):
    _index(tmp_path, '{"questions": [\n  {"question_id": 1,,}\n]}')
    with pytest.raises(ValueError, match=r"questions\.json:2:21: malformed JSON"):
        spoken_vqa.SpokenVQAReader(split="x", data_root=tmp_path)


def test_wrong_kind_of_file_is_described(tmp_path):
    _index(tmp_path, json.dumps({"images": [], "annotations": []}))
    with pytest.raises(
        ValueError, match=r"expected a spoken_vqa index.*\['annotations', 'images'\]"
    ):
        spoken_vqa.SpokenVQAReader(split="x", data_root=tmp_path)


def test_entry_missing_fields_is_named(tmp_path):
    _index(tmp_path, json.dumps({"questions": [{"question_id": 1, "answer": "red"}]}))
    with pytest.raises(ValueError, match=r"questions\[0\] lacks image_id, image, audio"):
        spoken_vqa.SpokenVQAReader(split="x", data_root=tmp_path)


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng not installed (apt-get install espeak-ng)"
)
def test_train_synthesis(tmp_path):
    assert spoken_vqa.build_split(tmp_path, "train", n=6, seed=3, voices_per_text=2, jobs=2)
    samples = list(spoken_vqa.SpokenVQAReader(split="train", data_root=tmp_path))
    assert len(samples) == 6
    train_speakers = {s.id for s in _speech.speakers_for("train")}
    assert all(s.meta["speaker"] in train_speakers for s in samples)
    assert all(s.meta["transcript"] and s.meta["transcript"].isupper() for s in samples)
    for s in samples:
        d = decode(s)
        assert d.image.shape == (64, 64, 3) and d.audio.ndim == 1
    again = tmp_path / "again"
    spoken_vqa.build_split(again, "train", n=6, seed=3, voices_per_text=2, jobs=1)
    marker = read_marker(tmp_path / spoken_vqa.FOLDER / "train")
    assert (
        marker["content_sha256"]
        == read_marker(again / spoken_vqa.FOLDER / "train")["content_sha256"]
    )
