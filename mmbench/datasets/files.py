"""Dataset files on disk: where each comes from, and loading them with clear errors.

Readers of official formats share three things: a :class:`DataFile` record (a path the task
needs and the official place it comes from), :func:`require` (a missing file raises
:class:`~mmbench.tasks.DataMissingError` naming the path and how to get it) and
:func:`load_json` (malformed JSON raises :class:`~mmbench.tasks.DataFormatError` with file,
line and column). :func:`looks_like` names what a JSON document appears to be, so a file of
the wrong kind is reported as such.

>>> looks_like({"questions": [], "data_subtype": "val2014"})
'VQA questions file (v2_OpenEnded_mscoco_*_questions.json)'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmbench.tasks import DataFormatError, DataMissingError


@dataclass(frozen=True)
class DataFile:
    """A file or folder a task reads, what it is and the official place it comes from."""

    path: Path
    what: str
    source: str
    folder: bool = False

    def exists(self) -> bool:
        return self.path.is_dir() if self.folder else self.path.is_file()


def require(file: DataFile, how_to_get: str = "") -> Path:
    """``file.path`` if it exists, else :class:`DataMissingError` naming it and its source."""
    if file.exists():
        return file.path
    kind = "folder" if file.folder else "file"
    hint = f"\nHow to get the data: {how_to_get}" if how_to_get else ""
    raise DataMissingError(
        f"{file.what}: {kind} not found: {file.path}\nOfficial source: {file.source}{hint}"
    )


def load_json(path: Path) -> Any:
    """Parse a JSON file; malformed JSON raises :class:`DataFormatError` with line and column."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise DataFormatError(
            f"{path}:{exc.lineno}:{exc.colno}: malformed JSON: {exc.msg}"
        ) from None
    except UnicodeDecodeError as exc:
        raise DataFormatError(
            f"{path}: not UTF-8 text (byte {exc.start}): not a JSON file"
        ) from None


def looks_like(doc: Any) -> str:
    """A short description of what a parsed JSON document appears to be."""
    if isinstance(doc, list):
        first = doc[0] if doc and isinstance(doc[0], dict) else {}
        if {"question_id", "answer"} <= set(first):
            return "VQA results file (a list of {question_id, answer})"
        if {"image_id", "caption"} <= set(first):
            return "COCO caption results file (a list of {image_id, caption})"
        return f"a JSON list of {len(doc)} items"
    if not isinstance(doc, dict):
        return f"a JSON {type(doc).__name__}"
    anns = doc.get("annotations")
    first = anns[0] if isinstance(anns, list) and anns and isinstance(anns[0], dict) else {}
    if "questions" in doc:
        return "VQA questions file (v2_OpenEnded_mscoco_*_questions.json)"
    if "answers" in first:
        return "VQA annotations file (v2_mscoco_*_annotations.json)"
    if "caption" in first:
        return "COCO captions annotation file (captions_*.json)"
    if "bbox" in first or "segmentation" in first:
        return "COCO instances/keypoints annotation file (instances_*.json), not captions"
    if "images" in doc and "dataset" in doc:
        return "Karpathy split file (dataset_*.json)"
    return f"a JSON object with keys {sorted(doc)[:6]}"


def wrong_kind(path: Path, doc: Any, expected: str) -> DataFormatError:
    """The error for a file of the wrong kind: what it looks like and what was expected."""
    return DataFormatError(f"{path}: this looks like a {looks_like(doc)}; expected {expected}")


def field(path: Path, record: Any, key: str, where: str) -> Any:
    """``record[key]``, or :class:`DataFormatError` naming the file, the record and the key."""
    if not isinstance(record, dict) or key not in record:
        raise DataFormatError(f"{path}: {where} has no {key!r} key: {str(record)[:120]}")
    return record[key]


def submission_path(out_dir: Path, task: str, model_name: str) -> Path:
    """Where a run writes its predictions in a task's official results format.

    >>> submission_path(Path("runs"), "vqav2_testdev", "my/model").as_posix()
    'runs/submissions/vqav2_testdev__my_model.json'
    """
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)
    return Path(out_dir) / "submissions" / f"{task}__{safe}.json"
