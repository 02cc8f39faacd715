"""Append-only JSONL prediction store, one file per (model fingerprint, task, task version).

Each predicted batch is appended and flushed to the OS as it comes, so a SIGKILL loses at
most the batch in flight; a torn last line (killed mid-write) is dropped on reopen. A rerun
opens the same file and skips every sample already predicted; a different fingerprint or
task version is a different file, so stale predictions are never reused. Errors are stored
too, and retried on a rerun.

A perturbed run (``--perturb``) has its own file ``<model>-<fingerprint>~<key>.jsonl``. A
shard of a sharded run (``torchrun`` rank or ``--shard i/N`` job, see
:mod:`mmbench.distributed`) appends to its own file, the same stem with a ``.<part>``
suffix: ``<model>-<fingerprint>[~<key>].<part>.jsonl``. Every store also reads (never
writes or truncates) its siblings: the other shards' files of the same stem (fingerprint,
task version and perturbation), so resuming works at any number of processes.

>>> import tempfile
>>> store = PredictionStore.open(tempfile.mkdtemp(), "m", "0123abcd", "easyvqa", 1)
>>> store.append([Prediction("q1", "yes")])
>>> store.done_ids()
{'q1'}
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmbench.atomic import write_text_atomic
from mmbench.types import Prediction


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def prediction_record(pred: Prediction) -> dict[str, Any]:
    """One line of a store file: ``{"id", "prediction"}`` or ``{"id", "error"}``."""
    if pred.ok:
        return {"id": pred.sample_id, "prediction": pred.text}
    return {"id": pred.sample_id, "error": pred.error}


def record_prediction(rec: dict[str, Any]) -> Prediction:
    """The :class:`Prediction` of one store line (inverse of :func:`prediction_record`)."""
    return Prediction(rec["id"], rec.get("prediction"), rec.get("error"))


@dataclass
class PredictionStore:
    """Predictions of one model on one task version, backed by a JSONL file."""

    path: Path
    header: dict[str, Any]
    predictions: dict[str, Prediction] = field(default_factory=dict)
    errors: dict[str, Prediction] = field(default_factory=dict)
    siblings: list[Path] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        out_dir: str | Path,
        model_name: str,
        fingerprint: str,
        task: str,
        task_version: int,
        part: str | None = None,
        perturbation: dict[str, Any] | None = None,
    ) -> PredictionStore:
        """Open (and resume) the store for this model fingerprint and task version;
        ``part`` names a shard's own file (its siblings are read too); a ``perturbation``
        (``Pipeline.to_json()``) is part of the key: its own file(s)."""
        variant = f"~{perturbation['key']}" if perturbation else ""
        stem = f"{_safe(model_name)}-{fingerprint}{variant}"
        folder = Path(out_dir) / "predictions" / f"{_safe(task)}@v{task_version}"
        path = folder / (f"{stem}.{part}.jsonl" if part else f"{stem}.jsonl")
        header = {
            "model": model_name,
            "fingerprint": fingerprint,
            "task": task,
            "task_version": task_version,
        }
        if perturbation:
            header["perturbation"] = perturbation
        store = cls(path, header)
        if path.exists():
            store._load()
        else:
            # atomically: another shard may read it as a sibling at any moment
            write_text_atomic(path, json.dumps({"header": header}) + "\n")
        store.siblings = sorted(p for p in folder.glob(f"{stem}.*jsonl") if p != path)
        for sibling in store.siblings:
            store._load(sibling)
        return store

    def _load(self, path: Path | None = None) -> None:
        """Read a file of predictions; only our own file's torn last line is cut off (a
        sibling's may be a line its writer is still appending)."""
        own = path is None
        path = self.path if path is None else path
        with open(path, "rb") as fh:
            data = fh.read()
        complete_end = data.rfind(b"\n") + 1
        if own and complete_end < len(data):  # a torn final line from a kill mid-write
            with open(path, "r+b") as fh:
                fh.truncate(complete_end)
        lines = data[:complete_end].decode("utf-8").splitlines()
        if not lines or json.loads(lines[0]).get("header") != self.header:
            raise ValueError(f"{path}: header does not match {self.header}; refusing to reuse it")
        for line in lines[1:]:
            self.note(record_prediction(json.loads(line)))

    def note(self, pred: Prediction) -> None:
        """Take ``pred`` into account in memory (written elsewhere: a file, another rank)."""
        if pred.ok:
            self.predictions[pred.sample_id] = pred
            self.errors.pop(pred.sample_id, None)
        else:
            self.errors[pred.sample_id] = pred

    def done_ids(self) -> set[str]:
        """Samples with a prediction (errors are not done: they are retried)."""
        return set(self.predictions)

    def append(self, predictions: Iterable[Prediction]) -> None:
        """Append a batch and hand it to the OS before returning (no fsync: SIGKILL-safe,
        not power-loss-safe, which would cost a disk flush per batch)."""
        lines = []
        for p in predictions:
            lines.append(json.dumps(prediction_record(p), ensure_ascii=False) + "\n")
            self.note(p)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("".join(lines))  # closed => in the kernel: survives a SIGKILL
