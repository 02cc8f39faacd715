"""Per-sample logs: every sample a run scored, gzip-compressed JSON lines next to its results.

A log lets a report rebuild and compare scores from files alone (never a dataset, never the
prediction store). Line 1 is a header naming the task and every metric (name, options,
signature, keys, direction); then one line per sample, in scoring order::

    {"id": "q1", "prediction": "circle", "references": ["circle", ...], "error": null,
     "input": "What shape is it?", "meta": {...}, "media": {"image": "/data/.../4.png"},
     "stats": {"vqa_accuracy": 1.0}}

``media`` names the sample's image and audio files (where it has them), so a report can show
them (``mmbench leaderboard --embed-media``) while the files are there.

``stats`` holds each metric's per-sample sufficient statistics when they are numbers or
lists of numbers (VQA accuracy, WER's ``(S, D, I, H)``, BLEU's count rows, ROUGE-L); for
metrics whose statistics are the tokens themselves (CIDEr-D: document frequencies depend on
the scored subset) it holds the tokenizer's output, ``[prediction, [references...]]``
(header ``"stats": "tokens"``), which :meth:`SampleLog.metric_stats` indexes without
tokenizing again; logs written before that (``"recompute"``) have only the texts, and the
statistics are recomputed from them with the recorded metric options. A metric's header
entry also keeps the run's bootstrap (``resamples``: each key's scores on the resamples its
CIs came from, :class:`Resamples`), which a leaderboard's paired tests reuse. The gzip
stream has no timestamp, so the same samples give the same bytes and the same sha256, which
the results record stores (``samples_log``).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "x.samples.jsonl.gz"
>>> m = MetricLog("exact_match", {}, "em|mmbench:0.1", ["exact_match"], True, [1.0, 0.0])
>>> rows = [SampleRow("a", "yes", ["yes"]), SampleRow("b", "no", ["yes"])]
>>> ref = write_sample_log(path, {"task": "t", "model": "m"}, rows, [m])
>>> log = read_sample_log(path, ref["sha256"])
>>> log.ids, log.metric_stats("exact_match")
(['a', 'b'], [1.0, 0.0])
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmbench.atomic import write_bytes_atomic

FORMAT = "mmbench.samplelog"
FORMAT_VERSION = 1
SUFFIX = ".samples.jsonl.gz"


class SampleLogError(ValueError):
    """A missing, corrupt or mismatching sample log; the message names the file."""


@dataclass(frozen=True)
class Resamples:
    """A run's bootstrap of one metric: each key's score on the ``R`` resamples of the
    log's samples, in the log's order, drawn from ``seed``
    (:func:`mmbench.metrics.bootstrap.bootstrap_scores`). A leaderboard whose paired tests
    draw the same resamples (same seed and ``R``, logs listing the same samples in the same
    order) reads them instead of rescoring every resample; in the header as little-endian
    float64, base64 (exact, and a third smaller than decimal text).

    >>> import numpy as np
    >>> r = Resamples(7, {"wer": np.array([0.25, 0.5])})
    >>> r.to_json()
    {'seed': 7, 'n_resamples': 2, 'scores': {'wer': 'AAAAAAAA0D8AAAAAAADgPw=='}}
    >>> Resamples.decoded(r.to_json(), "wer", 2, 7).tolist()
    [0.25, 0.5]
    """

    seed: int
    scores: Mapping[str, Any]  # key -> float64 [R]

    def to_json(self) -> dict[str, Any]:
        import numpy as np

        arrays = {k: np.ascontiguousarray(v, dtype="<f8") for k, v in self.scores.items()}
        sizes = {len(a) for a in arrays.values()}
        if len(sizes) != 1:
            raise ValueError(f"resampled scores of different lengths: {sorted(sizes)}")
        return {
            "seed": int(self.seed),
            "n_resamples": sizes.pop(),
            "scores": {k: base64.b64encode(a.tobytes()).decode("ascii") for k, a in arrays.items()},
        }

    @staticmethod
    def decoded(found: Any, key: str, n_resamples: int, seed: int) -> Any:
        """float64 ``[R]``: ``key``'s resampled scores in a header's ``resamples`` entry
        ``found`` if they were drawn from ``seed`` with ``n_resamples`` (else None)."""
        import numpy as np

        if not isinstance(found, dict) or found.get("seed") != seed:
            return None
        text = (found.get("scores") or {}).get(key)
        if found.get("n_resamples") != n_resamples or not isinstance(text, str):
            return None
        try:
            raw = base64.b64decode(text, validate=True)
        except ValueError:
            return None
        if len(raw) != 8 * n_resamples:
            return None
        return np.frombuffer(raw, dtype="<f8").astype(np.float64)


@dataclass(frozen=True)
class MetricLog:
    """One metric of a run: how to rebuild it and its per-sample statistics (if numeric)."""

    name: str
    options: Mapping[str, Any]
    signature: str
    keys: list[str]
    higher_is_better: bool
    stats: Sequence[Any] | None = None
    #: per sample, the tokenizer output the statistics are built from (``log_tokens``)
    tokens: Sequence[Any] | None = None
    resamples: Resamples | None = None  # the run's bootstrap of this metric

    @classmethod
    def of(
        cls,
        name: str,
        options: Mapping[str, Any],
        metric: Any,
        stats: Sequence[Any],
        resamples: Resamples | None = None,
    ):
        """From a metric instance and the statistics it computed (with their tokens, for a
        metric that has ``log_tokens``), and the run's bootstrap of it."""
        keys = list(metric.keys)
        log_tokens = getattr(metric, "log_tokens", None)
        tokens = log_tokens(stats) if log_tokens is not None else None
        sig = metric.signature()
        return cls(name, options, sig, keys, metric.higher_is_better, stats, tokens, resamples)

    def header(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            "options": dict(self.options),
            "signature": self.signature,
            "keys": list(self.keys),
            "higher_is_better": self.higher_is_better,
            "stats": self.stats_kind(),
        }
        if self.resamples is not None:
            out["resamples"] = self.resamples.to_json()
        return out

    def stats_kind(self) -> str:
        """How the log holds the statistics: ``per-sample`` (numbers), ``tokens`` (the
        tokenizer's output) or ``recompute`` (only the texts)."""
        if self.json_stats() is not None:
            return "per-sample"
        return "tokens" if self.tokens is not None else "recompute"

    def logged(self) -> list[Any] | None:
        """Per sample, what the log's ``stats`` holds for this metric (None: nothing)."""
        numbers = self.json_stats()
        if numbers is not None or self.tokens is None:
            return numbers
        return [[pred, list(refs)] for pred, refs in self.tokens]

    def json_stats(self) -> list[Any] | None:
        """The statistics as JSON values, or None when they are not numbers / number lists."""
        if self.stats is None:
            return None
        out = []
        for s in self.stats:
            if hasattr(s, "tolist") and not isinstance(s, tuple):
                s = s.tolist()  # numpy scalar or array
            if isinstance(s, bool) or not _numeric(s):
                return None
            out.append(list(s) if isinstance(s, tuple) else s)
        return out


def _numeric(value: Any) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return True
    return isinstance(value, (list, tuple)) and all(_numeric(v) for v in value)


@dataclass(frozen=True)
class SampleRow:
    """One scored sample: what the model said, the references, and any error."""

    id: str
    prediction: str | None
    references: Sequence[str]
    error: str | None = None
    input: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    media: Mapping[str, str] = field(default_factory=dict)  # {"image"/"audio": file path}


def _jsonable_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    return {
        str(k): v if isinstance(v, (str, int, float, bool, type(None))) else str(v)
        for k, v in meta.items()
    }


def encode_sample_log(
    header: Mapping[str, Any], rows: Sequence[SampleRow], metrics: Sequence[MetricLog]
) -> bytes:
    """The gzip bytes of a log (deterministic: no timestamp in the gzip header)."""
    per_sample = {m.name: m.logged() for m in metrics}
    per_sample = {k: v for k, v in per_sample.items() if v is not None}
    for name, values in per_sample.items():
        if len(values) != len(rows):
            raise ValueError(f"metric {name!r}: {len(values)} statistics for {len(rows)} samples")
    head = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **header,
        "n": len(rows),
        "metrics": [m.header() for m in metrics],
    }
    text = io.StringIO()
    text.write(json.dumps(head, ensure_ascii=False, allow_nan=False) + "\n")
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    for i, row in enumerate(rows):
        line: dict[str, Any] = {
            "id": row.id,
            "prediction": row.prediction,
            "references": list(row.references),
            "error": row.error,
        }
        if row.input is not None:
            line["input"] = row.input
        if row.meta:
            line["meta"] = _jsonable_meta(row.meta)
        if row.media:
            line["media"] = {str(k): str(v) for k, v in row.media.items()}
        line["stats"] = {name: values[i] for name, values in per_sample.items()}
        text.write(dumps(line) + "\n")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return buf.getvalue()


def write_sample_log(
    path: str | Path,
    header: Mapping[str, Any],
    rows: Sequence[SampleRow],
    metrics: Sequence[MetricLog],
) -> dict[str, Any]:
    """Write a log atomically; returns the results record's ``samples_log`` entry."""
    data = encode_sample_log(header, rows, metrics)
    path = write_bytes_atomic(path, data)
    return {
        "file": path.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "format": f"{FORMAT}/{FORMAT_VERSION} (gzip JSON lines)",
        "n": len(rows),
    }


def log_path(results_file: str | Path) -> Path:
    """Where the log of a results file lives: ``<task>__<model>.samples.jsonl.gz`` beside it."""
    results_file = Path(results_file)
    return results_file.with_name(results_file.stem + SUFFIX)


def write_sample_log_for(
    results_file: Path,
    task: Any,
    model_name: str,
    samples: Sequence[Any],
    store: Any,
    metrics: Sequence[MetricLog],
) -> dict[str, Any]:
    """The runner's hook: log ``samples`` (``Sample`` records) with the store's predictions
    and errors beside ``results_file``; returns the record's ``samples_log`` entry."""
    rows = []
    for s in samples:
        pred = store.predictions.get(s.id)
        err = store.errors.get(s.id) if pred is None else None
        rows.append(
            SampleRow(
                id=s.id,
                prediction=pred.text if pred is not None else None,
                references=s.references,
                error=err.error if err is not None else None,
                input=s.text,
                meta=s.meta,
                media={
                    kind: str(path)
                    for kind, path in (("image", s.image_path), ("audio", s.audio_path))
                    if path is not None
                },
            )
        )
    header = {"task": task.name, "task_version": task.version, "model": model_name}
    return write_sample_log(log_path(results_file), header, rows, metrics)


@dataclass
class SampleLog:
    """A read log: header, one dict per sample, and the file it came from."""

    path: Path
    header: dict[str, Any]
    samples: list[dict[str, Any]]
    _stats: dict[str, list[Any]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def ids(self) -> list[str]:
        return [s["id"] for s in self.samples]

    def metric(self, name: str) -> dict[str, Any]:
        """The header entry of metric ``name`` (the metric registry name, e.g. ``cider``)."""
        for m in self.header["metrics"]:
            if m["name"] == name:
                return m
        known = [m["name"] for m in self.header["metrics"]]
        raise SampleLogError(f"{self.path}: no metric {name!r} in the log (it has {known})")

    def metric_for_key(self, key: str) -> dict[str, Any]:
        """The header entry of the metric that produced score ``key`` (e.g. ``CIDEr``)."""
        for m in self.header["metrics"]:
            if key in m["keys"]:
                return m
        raise SampleLogError(f"{self.path}: no metric produced score {key!r}")

    def resampled(self, name: str, key: str, n_resamples: int, seed: int) -> Any:
        """float64 ``[R]``: score ``key`` of metric ``name`` on the run's bootstrap resamples
        of this log's samples in order (:class:`Resamples`), if the run kept them and drew
        them from ``seed`` with ``n_resamples``; else None."""
        return Resamples.decoded(self.metric(name).get("resamples"), key, n_resamples, seed)

    def metric_stats(self, name: str, order: Sequence[int] | None = None) -> list[Any]:
        """Per-sample statistics of metric ``name`` (stored, or recomputed from the texts once
        per log), optionally for the samples at positions ``order``."""
        stats = self._stats.get(name)
        if stats is None:
            stats = self._stats[name] = self._metric_stats(name)
        return stats if order is None else [stats[i] for i in order]

    def _metric_stats(self, name: str) -> list[Any]:
        from mmbench.metrics.base import get_metric

        entry = self.metric(name)
        rows = self.samples
        if entry["stats"] == "per-sample":
            return [
                tuple(v) if isinstance(v, list) else v for v in (r["stats"][name] for r in rows)
            ]
        metric = get_metric(name, **entry["options"])
        if metric.signature() != entry["signature"]:
            raise SampleLogError(
                f"{self.path}: metric {name!r} is now {metric.signature()!r}, the log was "
                f"scored with {entry['signature']!r}; its statistics cannot be rebuilt"
            )
        if entry["stats"] == "tokens":  # the same tokenizer (signature): no need to rerun it
            return metric.stats_from_tokens([r["stats"][name] for r in rows])
        return metric.stats([r["prediction"] or "" for r in rows], [r["references"] for r in rows])


def read_sample_log(path: str | Path, sha256: str | None = None) -> SampleLog:
    """Read a log; with ``sha256`` the file must match it (a corrupt or swapped log fails)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SampleLogError(f"{path}: sample log is missing") from None
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise SampleLogError(f"{path}: sha256 does not match the results record (corrupt?)")
    import msgspec

    try:
        lines = msgspec.json.Decoder().decode_lines(gzip.decompress(data))
        header, samples = lines[0], lines[1:]
    except (OSError, EOFError, msgspec.DecodeError, IndexError) as exc:
        raise SampleLogError(f"{path}: not a readable sample log: {exc}") from None
    if (
        not isinstance(header, dict)
        or header.get("format") != FORMAT
        or header.get("n") != len(samples)
    ):
        raise SampleLogError(f"{path}: not an {FORMAT} file, or truncated")
    return SampleLog(path, header, samples)
