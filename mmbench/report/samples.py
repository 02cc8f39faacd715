"""The page's sample browser and breakdowns, from the per-sample logs only.

A sample's *value* is its own score under the task's ranking metric: VQA accuracy of the
question, WER of the utterance, CIDEr-D of the caption (document frequencies over all the
run's samples), or the metric on that sample alone for other metrics.

>>> per_sample_values("wer", [(1, 0, 0, 3), (0, 0, 0, 2)], None)
[0.25, 0.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mmbench.report.board import Board, TaskBoard
from mmbench.samplelog import SampleLog

#: Samples shown per model: (worst and best each, disagreements) for small / large boards
#: (more than ``MANY`` models), which keeps a 50-model page small.
SHOWN = {False: (3, 5), True: (1, 2)}
MANY = 20


def per_sample_values(metric_name: str, stats: Sequence[Any], metric: Any) -> list[float]:
    """One value per sample (see the module docstring)."""
    if metric_name in ("wer", "cer"):
        return [(s + d + i) / max(s + d + h, 1) for s, d, i, h in stats]
    if stats and all(isinstance(s, float) for s in stats[:1]):
        return [float(s) for s in stats]
    if metric_name == "cider" and stats:
        from mmbench.metrics.cider import cider_scores

        return cider_scores(stats[0].batch).tolist()
    key = metric.keys[0]
    return [float(metric.score([s])[key]) for s in stats]


@dataclass(frozen=True)
class Shown:
    """One sample as the browser shows it."""

    id: str
    input: str | None
    references: list[str]
    prediction: str | None
    value: float
    error: str | None = None
    other_prediction: str | None = None
    other_value: float | None = None


def _values(task: TaskBoard, log: SampleLog) -> dict[str, float]:
    from mmbench.metrics.base import get_metric

    spec = log.metric(task.metric)
    stats = log.metric_stats(task.metric)
    values = per_sample_values(task.metric, stats, get_metric(task.metric, **spec["options"]))
    return dict(zip(log.ids, values, strict=True))


def _shown(
    row: dict[str, Any],
    value: float,
    other: dict[str, Any] | None = None,
    other_value: float | None = None,
) -> Shown:
    return Shown(
        id=row["id"],
        input=row.get("input"),
        references=list(row["references"]),
        prediction=row["prediction"],
        value=value,
        error=row.get("error"),
        other_prediction=None if other is None else other["prediction"],
        other_value=other_value,
    )


def browser(board: Board, task: TaskBoard) -> dict[str, Any]:
    """Per model: worst and best samples; and where it disagrees most with the task's top
    model (by per-sample value, on the samples both ran)."""
    models = [m for m in board.models if m in task.rows]
    if not models:
        return {"models": [], "top": None}
    best_first = sorted(models, key=lambda m: (task.rows[m]["rank"], board.models.index(m)))
    top = best_first[0]
    logs = {m: task.entries[m].log for m in models}
    values = {m: _values(task, logs[m]) for m in models if logs[m] is not None}
    rows = {m: {r["id"]: r for r in logs[m].samples} for m in values}
    sign = 1.0 if task.higher_is_better else -1.0
    n_wb, n_dis = SHOWN[len(models) > MANY]
    out = []
    for m in models:
        if m not in values:
            continue
        order = sorted(values[m], key=lambda i: (sign * values[m][i], i))
        worst = [_shown(rows[m][i], values[m][i]) for i in order[:n_wb]]
        best = [_shown(rows[m][i], values[m][i]) for i in order[::-1][:n_wb]]
        disagree: list[Shown] = []
        if m != top and top in values:
            shared = [i for i in values[m] if i in values[top]]
            shared.sort(key=lambda i: (-abs(values[m][i] - values[top][i]), i))
            disagree = [
                _shown(rows[m][i], values[m][i], rows[top][i], values[top][i])
                for i in shared[:n_dis]
                if values[m][i] != values[top][i]
            ]
        out.append({"model": m, "worst": worst, "best": best, "disagree": disagree})
    return {"models": out, "top": top}


#: Sample-log ``meta`` fields a VQA column is broken down by, with their names on the page
#: (VQAv2's annotations carry both; the VQA readers put them in ``Sample.meta``).
BREAKDOWNS = {"answer_type": "answer type", "question_type": "question type"}


def vqa_breakdowns(task: TaskBoard) -> dict[str, dict[str, Any]]:
    """VQA accuracy per answer type and per question type, for each field the logs carry:
    ``{field: {"n": {group: samples}, "models": {model: {group: accuracy}}}}``."""
    from mmbench.metrics.vqa_accuracy import breakdown

    out: dict[str, dict[str, Any]] = {}
    if task.kind != "vqa":
        return out
    for name, e in task.entries.items():
        log = e.log
        if log is None or not log.samples:
            continue
        values = log.metric_stats(task.metric)
        for field_name in BREAKDOWNS:
            groups = [(r.get("meta") or {}).get(field_name) for r in log.samples]
            if any(g is None for g in groups):
                continue
            found = out.setdefault(field_name, {"n": {}, "models": {}})
            found["models"][name] = breakdown(values, [str(g) for g in groups])
            if not found["n"]:
                counts: dict[str, int] = {}
                for g in groups:
                    counts[str(g)] = counts.get(str(g), 0) + 1
                found["n"] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def error_split(task: TaskBoard) -> dict[str, dict[str, int]]:
    """ASR substitutions / deletions / insertions / hits per model (from the records)."""
    if task.kind != "asr":
        return {}
    return {
        m: {k: int(v) for k, v in r["extra"].items()}
        for m, r in task.rows.items()
        if r.get("extra")
    }
