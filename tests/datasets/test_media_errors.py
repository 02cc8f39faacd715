"""Corrupt and missing media, end to end through the runner: recorded per sample, run goes on."""

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import COCO_IMAGES, LIBRI, ShapeModel, make_task, write_image
from PIL import Image

from mmbench.runner import RunAborted, RunConfig, run_task
from mmbench.types import Modality

CAPTIONS = {"annotations": "coco/annotations/captions_val2017.json", "images": "coco/val2017"}


def corrupt(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "wrong-format":
        path.write_bytes(b"RIFF not really a media file at all" * 4)
    else:
        path.unlink()


def errors_by_id(record):
    return {e["id"]: e["error"] for e in record["errors"]}


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_corrupt_images_are_sample_errors(coco_root, tmp_path, suffix):
    doc_path = coco_root / CAPTIONS["annotations"]
    if suffix == ".png":  # same dataset with PNG files
        for image_id, (h, w) in COCO_IMAGES.items():
            write_image(coco_root / "coco" / "val2017" / f"{image_id:012d}.png", h, w)
        doc_path.write_text(doc_path.read_text().replace(".jpg", ".png"))
    folder = coco_root / "coco" / "val2017"
    ids = list(COCO_IMAGES)
    noise = np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    Image.fromarray(noise).save(folder / f"{ids[0]:012d}{suffix}")  # large enough to cut mid-data
    corrupt(folder / f"{ids[0]:012d}{suffix}", "truncated")
    corrupt(folder / f"{ids[2]:012d}{suffix}", "wrong-format")
    task = make_task("coco_tiny", "caption", "coco_captions", CAPTIONS)
    cfg = RunConfig(
        out_dir=tmp_path / "out", data_root=coco_root, progress=False, n_resamples=0, workers=0
    )
    record = run_task("shape", task, cfg, model=ShapeModel(Modality.IMAGE)).record
    assert record["n_samples"] == 3 and record["n_errors"] == 2
    errors = errors_by_id(record)
    assert set(errors) == {str(ids[0]), str(ids[2])}
    for image_id in (ids[0], ids[2]):
        msg = errors[str(image_id)]
        assert msg.startswith("media error") and f"sample '{image_id}'" in msg
        assert str(folder / f"{image_id:012d}{suffix}") in msg
    assert "truncated" in errors[str(ids[0])].lower()
    h, w = COCO_IMAGES[ids[1]]
    rows = {
        r["image_id"]: r["caption"]
        for r in json.loads(Path(record["outputs"]["coco_results"]).read_text())
    }
    assert rows == {ids[0]: "", ids[1]: f"{h}x{w}x3", ids[2]: ""}


def test_missing_and_empty_image(coco_root, tmp_path):
    folder = coco_root / "coco" / "val2017"
    corrupt(folder / "000000000139.jpg", "missing")
    corrupt(folder / "000000000285.jpg", "empty")
    task = make_task("coco_tiny", "caption", "coco_captions", CAPTIONS)
    cfg = RunConfig(
        out_dir=tmp_path / "out", data_root=coco_root, progress=False, n_resamples=0, workers=0
    )
    errors = errors_by_id(run_task("shape", task, cfg, model=ShapeModel(Modality.IMAGE)).record)
    assert "000000000139.jpg: file not found" in errors["139"] and "sample '139'" in errors["139"]
    assert "000000000285.jpg: file is empty (0 bytes)" in errors["285"]
    assert "632" not in errors


def test_corrupt_flacs_are_sample_errors_through_dataloader_workers(libri_root, tmp_path):
    folder = libri_root / "LibriSpeech" / "test-clean"
    broken = {
        "61-70968-0000": "truncated",
        "61-70968-0001": "empty",
        "121-121726-0000": "wrong-format",
    }
    for utt, how in broken.items():
        speaker, chapter, _ = utt.split("-")
        corrupt(folder / speaker / chapter / f"{utt}.flac", how)
    task = make_task(
        "ls_tiny", "asr", "librispeech", {"root": "LibriSpeech", "split": "test-clean"}
    )
    cfg = RunConfig(
        out_dir=tmp_path / "out",
        data_root=libri_root,
        progress=False,
        n_resamples=0,
        workers=2,
        batch_size=1,
    )
    result = run_task("shape", task, cfg, model=ShapeModel(Modality.AUDIO))
    errors = errors_by_id(result.record)
    assert set(errors) == set(broken)
    for utt in broken:
        assert f"sample '{utt}'" in errors[utt] and f"{utt}.flac" in errors[utt]
    assert "0 bytes" in errors["61-70968-0001"]
    assert result.record["n_samples"] == len(LIBRI)
    lines = [
        json.loads(line)
        for line in Path(result.record["predictions_file"]).read_text().splitlines()
    ]
    texts = {r.get("id"): r.get("prediction") for r in lines}
    assert texts["1089-134686-0000"] == "float32:4000"  # 44.1 kHz stereo -> 16 kHz mono


def test_fail_fast_stops_at_the_first_media_error(libri_root, tmp_path):
    corrupt(
        libri_root / "LibriSpeech" / "test-clean" / "121" / "121726" / "121-121726-0000.flac",
        "empty",
    )
    task = make_task(
        "ls_tiny", "asr", "librispeech", {"root": "LibriSpeech", "split": "test-clean"}
    )
    cfg = RunConfig(
        out_dir=tmp_path / "out", data_root=libri_root, progress=False, workers=0, fail_fast=True
    )
    with pytest.raises(RunAborted, match="121-121726-0000.flac"):
        run_task("shape", task, cfg, model=ShapeModel(Modality.AUDIO))
