"""Tiny datasets in the official COCO, Karpathy, VQAv2 and LibriSpeech layouts, built per test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from mmbench.tasks import Task, parse_task
from mmbench.types import Modality


def write_image(path: Path, h: int = 6, w: int = 8, value: int = 200) -> Path:
    """A solid h x w RGB image; JPEG or PNG by suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((h, w, 3), value, np.uint8)).save(path)
    return path


def write_flac(path: Path, seconds: float = 0.25, rate: int = 16_000, channels: int = 1) -> Path:
    """A 440 Hz tone as 16-bit FLAC."""
    path.parent.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * 440 * t)
    sf.write(path, np.stack([tone] * channels, axis=1), rate, format="FLAC")
    return path


def write_json(path: Path, doc: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))
    return path


def make_task(name: str, kind: str, reader: str, args: dict, expected: int | None = None) -> Task:
    data = {"how_to_get": f"get {name} from the official site"}
    if expected is not None:
        data["expected_samples"] = expected
    spec = {"name": name, "version": 1, "kind": kind, "reader": {"name": reader, "args": args}}
    return parse_task({**spec, "metrics": ["exact_match"], "data": data}, f"<test {name}>")


class ShapeModel:
    """Answers with the shape of what it was given, proving the runner decoded the media."""

    name = "shape"

    def __init__(self, *modalities: Modality) -> None:
        self.modalities = modalities

    def predict(self, samples):
        out = []
        for s in samples:
            if s.image is not None:
                out.append("x".join(map(str, s.image.shape)))
            else:
                out.append(f"{s.audio.dtype}:{s.audio.shape[0]}")
        return out


COCO_IMAGES = {139: (4, 6), 285: (5, 7), 632: (6, 8)}  # image id -> (h, w)


@pytest.fixture
def coco_root(tmp_path: Path) -> Path:
    """``coco/annotations/captions_val2017.json`` + ``coco/val2017`` (3 captioned images and one
    without captions), and a Karpathy ``coco/dataset_coco.json`` over ``coco/val2014`` and
    ``coco/train2014``."""
    coco = tmp_path / "coco"
    images = [
        {"id": i, "file_name": f"{i:012d}.jpg", "height": h, "width": w}
        for i, (h, w) in COCO_IMAGES.items()
    ]
    images.append({"id": 999, "file_name": f"{999:012d}.jpg", "height": 2, "width": 2})
    anns, n = [], 0
    for image_id in COCO_IMAGES:
        for k in range(5 if image_id != 632 else 6):
            n += 1
            anns.append(
                {"id": n, "image_id": image_id, "caption": f"caption {k} of image {image_id} "}
            )
    write_json(
        coco / "annotations" / "captions_val2017.json",
        {"info": {}, "licenses": [], "images": images, "annotations": anns},
    )
    for image_id, (h, w) in COCO_IMAGES.items():
        write_image(coco / "val2017" / f"{image_id:012d}.jpg", h, w)
    write_image(coco / "val2017" / f"{999:012d}.jpg", 2, 2)

    entries = []
    for imgid, (cocoid, split, folder) in enumerate(
        [
            (391895, "test", "val2014"),
            (522418, "test", "val2014"),
            (184613, "val", "val2014"),
            (318219, "restval", "train2014"),
        ]
    ):
        name = f"COCO_{folder}_{cocoid:012d}.jpg"
        write_image(coco / folder / name, 3, 4 + imgid)
        sentences = [
            {"raw": f"raw {k} {cocoid}.", "tokens": ["raw", str(k)], "imgid": imgid}
            for k in range(5)
        ]
        entries.append(
            {
                "filepath": folder,
                "filename": name,
                "imgid": imgid,
                "split": split,
                "cocoid": cocoid,
                "sentids": [],
                "sentences": sentences,
            }
        )
    write_json(coco / "dataset_coco.json", {"images": entries, "dataset": "coco"})
    return tmp_path


VQA_QUESTIONS = [  # (question_id, image_id, question)
    (42000, 42, "What color is the cat?"),
    (42001, 42, "How many cats are there?"),
    (73000, 73, "Is it raining?"),
]


def _answers(qid: int) -> list[dict]:
    words = ["black"] * 6 + ["gray"] * 3 + ["dark"] if qid == 42000 else [str(qid % 7)] * 10
    return [
        {"answer": a, "answer_confidence": "yes", "answer_id": i + 1} for i, a in enumerate(words)
    ]


@pytest.fixture
def vqa_root(tmp_path: Path) -> Path:
    """VQAv2 val questions + annotations over ``coco/val2014``, and test-dev questions over
    ``coco/test2015`` (2014-style names), plus ``coco/val2017`` with 2017-style names."""
    vqa = tmp_path / "vqav2"
    qs = [{"question_id": q, "image_id": i, "question": t} for q, i, t in VQA_QUESTIONS]
    write_json(
        vqa / "v2_OpenEnded_mscoco_val2014_questions.json",
        {
            "info": {},
            "task_type": "Open-Ended",
            "data_type": "mscoco",
            "data_subtype": "val2014",
            "questions": qs,
            "license": {},
        },
    )
    anns = [
        {
            "question_id": q,
            "image_id": i,
            "question_type": "what color is the" if q == 42000 else "how many",
            "answer_type": "other" if q == 42000 else "number",
            "multiple_choice_answer": _answers(q)[0]["answer"],
            "answers": _answers(q),
        }
        for q, i, _ in VQA_QUESTIONS
    ]
    write_json(
        vqa / "v2_mscoco_val2014_annotations.json",
        {
            "info": {},
            "data_type": "mscoco",
            "data_subtype": "val2014",
            "annotations": anns,
            "license": {},
        },
    )
    test_qs = [
        {"question_id": 5000 + k, "image_id": 5, "question": f"test question {k}?"}
        for k in range(4)
    ]
    write_json(
        vqa / "v2_OpenEnded_mscoco_test-dev2015_questions.json",
        {"data_subtype": "test-dev2015", "questions": test_qs},
    )
    for image_id in (42, 73):
        write_image(
            tmp_path / "coco" / "val2014" / f"COCO_val2014_{image_id:012d}.jpg",
            3,
            image_id % 10 + 1,
        )
        write_image(tmp_path / "coco" / "val2017" / f"{image_id:012d}.jpg", 3, image_id % 10 + 1)
    write_image(tmp_path / "coco" / "test2015" / "COCO_test2015_000000000005.jpg")
    return tmp_path


LIBRI = {  # utterance id -> (transcript, sample rate, channels)
    "61-70968-0000": ("HE BEGAN A CONFUSED COMPLAINT AGAINST THE WIZARD", 16_000, 1),
    "61-70968-0001": ("GIVE NOT SO EARNEST A MIND TO THESE MUMMERIES CHILD", 16_000, 1),
    "121-121726-0000": ("ALSO A POPULAR CONTRIVANCE", 8_000, 1),
    "1089-134686-0000": ("HE HOPED THERE WOULD BE STEW FOR DINNER", 44_100, 2),
}


@pytest.fixture
def libri_root(tmp_path: Path) -> Path:
    """``LibriSpeech/test-clean`` with 4 utterances in 3 chapters at 16, 8 and 44.1 kHz."""
    split = tmp_path / "LibriSpeech" / "test-clean"
    chapters: dict[Path, list[str]] = {}
    for utt, (text, rate, channels) in LIBRI.items():
        speaker, chapter, _ = utt.split("-")
        folder = split / speaker / chapter
        write_flac(folder / f"{utt}.flac", 0.25, rate, channels)
        chapters.setdefault(folder, []).append(f"{utt} {text}\n")
    for folder, lines in chapters.items():
        (folder / f"{folder.parent.name}-{folder.name}.trans.txt").write_text("".join(lines))
    return tmp_path
