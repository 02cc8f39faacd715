"""The page's sample browser and breakdowns, from the per-sample logs only.

A sample's *value* is its own score under the task's ranking metric: VQA accuracy of the
question, WER of the utterance, CIDEr-D of the caption (document frequencies over all the
run's samples), or the metric on that sample alone for other metrics.

>>> per_sample_values("wer", [(1, 0, 0, 3), (0, 0, 0, 2)], None)
[0.25, 0.0]
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from typing import Any

import numpy as np

from mmbench.report.board import Board, TaskBoard
from mmbench.samplelog import SampleLog

#: Samples shown per model: (worst and best each, disagreements) for small / large boards
#: (more than ``MANY`` models), which keeps a 50-model page small.
SHOWN = {False: (3, 5), True: (1, 2)}
MANY = 20
#: (model, sample) predictions the two-model browser embeds per page, shared by the columns:
#: each column embeds every model's prediction on its most contested samples, as many as fit.
CELL_BUDGET = 12_000
#: Contested samples per column at least (when the column has them).
MIN_CONTESTED = 10


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


def sample_values(task: TaskBoard, log: SampleLog) -> dict[str, float]:
    """Each sample's value (by id) in ``log`` under the column's ranking metric."""
    from mmbench.metrics.base import get_metric

    spec = log.metric(task.metric)
    stats = log.metric_stats(task.metric)
    values = per_sample_values(task.metric, stats, get_metric(task.metric, **spec["options"]))
    return dict(zip(log.ids, values, strict=True))


def contested(values: dict[str, dict[str, float]], k: int) -> list[str]:
    """The ``k`` samples whose values differ most across models (max - min), then by id.

    >>> contested({"a": {"q1": 1.0, "q2": 0.0, "q3": 1.0}, "b": {"q1": 0.0, "q2": 0.0}}, 2)
    ['q1', 'q2']
    """
    per_model = list(values.values())
    ids = list(per_model[0]) if per_model else []
    if all(len(v) == len(ids) and list(v) == ids for v in per_model[1:]):
        grid = np.array([list(v.values()) for v in per_model], dtype=np.float64)  # [M, S]
        if not np.isnan(grid).any():  # (NaN: the loop below, whose min/max keep the first)
            spread = (grid.min(axis=0) - grid.max(axis=0)).tolist()  # [S] low - high
            order = sorted(range(len(ids)), key=lambda j: (spread[j], ids[j]))
            return [ids[j] for j in order[:k]]
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for found in per_model:
        for sid, v in found.items():
            lows[sid] = min(lows.get(sid, v), v)
            highs[sid] = max(highs.get(sid, v), v)
    return sorted(lows, key=lambda sid: (lows[sid] - highs[sid], sid))[:k]


def browser(board: Board, task: TaskBoard, media: Any = None) -> dict[str, Any]:
    """The data of a column's sample browser, embedded in the page as JSON.

    Per model its worst and best samples; for the comparison of any two models chosen in the
    page, every model's prediction and value on the column's *contested* samples (largest
    spread of per-sample values across models, :func:`contested`): as many as
    :data:`CELL_BUDGET` allows over the page's columns (every sample on small boards). The
    page ranks those samples by the difference of the two chosen models' values. ``media``
    (a :class:`~mmbench.report.media.MediaEmbedder`) adds each shown sample's image and audio.
    """
    models = [m for m in board.models if m in task.rows and task.entries[m].log is not None]
    if not models:
        return {"models": [], "samples": [], "contested": []}
    best_first = sorted(models, key=lambda m: (task.rows[m]["rank"], board.models.index(m)))
    logs = {m: task.entries[m].log for m in models}
    values = {m: task.values.get(m) or sample_values(task, logs[m]) for m in models}
    rows = {m: {r["id"]: r for r in logs[m].samples} for m in models}
    n_samples = len({sid for v in values.values() for sid in v})
    k = max(MIN_CONTESTED, CELL_BUDGET // (len(models) * max(len(board.tasks), 1)))
    shared = contested(values, min(k, n_samples))
    sign = 1.0 if task.higher_is_better else -1.0
    n_wb, n_dis = SHOWN[len(models) > MANY]
    index: dict[str, int] = {}
    samples: list[dict[str, Any]] = []

    def at(sid: str, row: dict[str, Any]) -> int:
        if sid not in index:
            index[sid] = len(samples)
            shown = {"id": sid, "input": row.get("input"), "references": list(row["references"])}
            if media is not None:
                shown.update(media(row.get("media") or {}))
            samples.append(shown)
        return index[sid]

    out = []
    for m in models:
        keyed = [(sign * v, i) for i, v in values[m].items()]
        worst = [i for _, i in heapq.nsmallest(n_wb, keyed)]
        best = [i for _, i in heapq.nlargest(n_wb, keyed)]
        cells = {}
        for sid in dict.fromkeys([*worst, *best, *shared]):
            row = rows[m].get(sid)
            if row is not None:
                cells[at(sid, row)] = [
                    row["prediction"],
                    round(values[m][sid], 4),
                    row.get("error"),
                ]
        out.append(
            {
                "model": m,
                "worst": [index[i] for i in worst],
                "best": [index[i] for i in best],
                "cells": [[i, *cell] for i, cell in sorted(cells.items())],
            }
        )
    return {
        "key": task.key,
        "higher_is_better": task.higher_is_better,
        "top": best_first[0],
        "n_samples": n_samples,
        "n_disagree": n_dis,
        "samples": samples,
        "contested": [index[sid] for sid in shared],
        "models": out,
    }


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
