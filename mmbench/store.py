"""Append-only JSONL prediction store, one file per (model fingerprint, task, task version).

Each predicted batch is appended and flushed to the OS as it comes, so a SIGKILL loses at
most the batch in flight; a torn last line (killed mid-write) is dropped on reopen. A rerun
opens the same file and skips every sample already predicted; a different fingerprint or
task version is a different file, so stale predictions are never reused. Errors are stored
too, and retried on a rerun.

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

from mmbench.types import Prediction


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


@dataclass
class PredictionStore:
    """Predictions of one model on one task version, backed by a JSONL file."""

    path: Path
    header: dict[str, Any]
    predictions: dict[str, Prediction] = field(default_factory=dict)
    errors: dict[str, Prediction] = field(default_factory=dict)

    @classmethod
    def open(
        cls,
        out_dir: str | Path,
        model_name: str,
        fingerprint: str,
        task: str,
        task_version: int,
        perturbation: dict[str, Any] | None = None,
    ) -> PredictionStore:
        """Open (and resume) the store for this model fingerprint and task version; a
        ``perturbation`` (``Pipeline.to_json()``) is part of the key: its own file."""
        variant = f"~{perturbation['key']}" if perturbation else ""
        path = (
            Path(out_dir)
            / "predictions"
            / f"{_safe(task)}@v{task_version}"
            / f"{_safe(model_name)}-{fingerprint}{variant}.jsonl"
        )
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
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(json.dumps({"header": header}) + "\n")
        return store

    def _load(self) -> None:
        with open(self.path, "rb") as fh:
            data = fh.read()
        complete_end = data.rfind(b"\n") + 1
        if complete_end < len(data):  # a torn final line from a kill mid-write
            with open(self.path, "r+b") as fh:
                fh.truncate(complete_end)
        lines = data[:complete_end].decode("utf-8").splitlines()
        if not lines or json.loads(lines[0]).get("header") != self.header:
            raise ValueError(
                f"{self.path}: header does not match {self.header}; refusing to reuse it"
            )
        for line in lines[1:]:
            rec = json.loads(line)
            pred = Prediction(rec["id"], rec.get("prediction"), rec.get("error"))
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
            rec = (
                {"id": p.sample_id, "prediction": p.text}
                if p.ok
                else {"id": p.sample_id, "error": p.error}
            )
            lines.append(json.dumps(rec, ensure_ascii=False) + "\n")
            if p.ok:
                self.predictions[p.sample_id] = p
                self.errors.pop(p.sample_id, None)
            else:
                self.errors[p.sample_id] = p
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write("".join(lines))  # closed => in the kernel: survives a SIGKILL
