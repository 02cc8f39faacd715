"""Synthetic but valid leaderboard inputs: results records and sample logs of fake models.

Each model answers each sample correctly with its own probability, so models differ by
known amounts; the records are real runs' records (one ``constant:yes`` run as a template)
with the scores, CIs and statistics recomputed by the real metrics from the logged texts.
Used by the report tests and by ``benchmarks/leaderboard_scale.py``.
"""

from __future__ import annotations

import copy
import hashlib
import random
from pathlib import Path
from typing import Any

from mmbench.atomic import write_json_atomic
from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import DEFAULT_SEED, confidence_intervals_with_draws
from mmbench.perturb import Pipeline
from mmbench.results import results_path, validate
from mmbench.samplelog import MetricLog, Resamples, SampleRow, log_path, write_sample_log

#: Includes markup and quotes, so every page built from these inputs tests escaping.
WORDS = [
    "red",
    "blue",
    "green",
    "circle",
    "square",
    "triangle",
    "yes",
    "no",
    "one",
    "two",
    "three",
    "big",
    "small",
]
WORDS.append('<b onmouseover=alert(2)>"it\'s"</b>')
METRICS = {"vqa": ("vqa_accuracy", {"rules": "2021"}), "asr": ("wer", {}), "caption": ("cider", {})}


def template_record(out_dir: Path) -> dict[str, Any]:
    """A real results record (``constant:yes`` on 10 easy-VQA questions)."""
    from mmbench.runner import RunConfig, run_task
    from mmbench.tasks import load_task

    cfg = RunConfig(out_dir=out_dir, limit=10, progress=False, n_resamples=0, flops=False)
    return run_task("constant:yes", load_task("easyvqa"), cfg).record


def _texts(kind: str, rng: random.Random, n: int) -> list[tuple[str, list[str]]]:
    out = []
    for _ in range(n):
        if kind == "vqa":
            answer = rng.choice(WORDS)
            out.append((answer, [answer] * 7 + [rng.choice(WORDS) for _ in range(3)]))
        elif kind == "asr":
            out.append(("", [" ".join(rng.choice(WORDS) for _ in range(6))]))
        else:
            refs = [" ".join(rng.choice(WORDS) for _ in range(5)) for _ in range(3)]
            out.append(("", refs))
    return out


QUESTION_TYPES = ["what color is the", "how many", "is the", "what shape is"]


def _question(kind: str, i: int, answer: str) -> tuple[str | None, dict[str, str]]:
    """(question text, meta) of VQA sample ``i``; nothing for other tasks."""
    if kind != "vqa":
        return None, {}
    numbers, yes_no = {"one", "two", "three"}, {"yes", "no"}
    answer_type = "yes/no" if answer in yes_no else "number" if answer in numbers else "other"
    meta = {"answer_type": answer_type, "question_type": QUESTION_TYPES[i % len(QUESTION_TYPES)]}
    return f"question {i}?", meta


def _media(out: Path, task: str, kind: str, n: int) -> list[dict[str, str]]:
    """Write an image per sample (and a 1 s tone per ASR sample) under ``out``, but not
    sample 0's image; their paths, as a sample log's ``media``."""
    import wave

    import numpy as np
    from PIL import Image

    out.mkdir(parents=True, exist_ok=True)
    media = []
    for i in range(n):
        found = {"image": str(out / f"{task}-{i}.png")}
        if i > 0:
            Image.fromarray(np.full((100, 200, 3), 40 * (i % 6), np.uint8)).save(found["image"])
        if kind == "asr":
            found["audio"] = str(out / f"{task}-{i}.wav")
            tone = np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000) * 0.3  # [16000] 1 s
            with wave.open(found["audio"], "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(16000)
                w.writeframes((tone * 32767).astype("<i2").tobytes())
        media.append(found)
    return media


def _predict(kind: str, refs: list[str], quality: float, rng: random.Random) -> str:
    if kind == "vqa":
        return refs[0] if rng.random() < quality else rng.choice(WORDS)
    words = refs[0].split()
    return " ".join(w if rng.random() < quality else rng.choice(WORDS) for w in words)


def write_inputs(
    out_dir: Path,
    template: dict[str, Any],
    models: list[str],
    tasks: list[tuple[str, str]],
    n_samples: int = 100,
    seed: int = 0,
    n_resamples: int = 200,
    quality: dict[str, float] | None = None,
    limit: int | None = None,
    perturbation: str | None = None,
    contended: frozenset[str] = frozenset(),
    media_dir: Path | None = None,
    keep_resamples: bool = True,
) -> list[Path]:
    """Write one results file + log per (model, task) under ``out_dir/results``;
    ``perturbation`` (a ``--perturb`` spec) records them as perturbed runs; the throughput
    of the ``contended`` models is marked as measured under CPU contention. VQA samples
    carry an answer type and a question type in ``meta``, as VQAv2's do. With ``media_dir``
    every sample names an image (and ASR samples an audio clip) there, all written but
    sample 0's image, which is missing. The logs keep each run's bootstrap resamples, as
    ``mmbench run``'s do, unless ``keep_resamples`` is False (logs from before they did)."""
    rng = random.Random(seed)
    perturbed = Pipeline.parse([perturbation]).to_json() if perturbation else None
    suffix = f"|perturb:{perturbed['spec']}" if perturbed else ""
    written = []
    for task, kind in tasks:
        samples = _texts(kind, random.Random(f"{seed}-{task}"), n_samples)
        media = _media(media_dir, task, kind, n_samples) if media_dir else [{}] * n_samples
        name, options = METRICS[kind]
        metric = get_metric(name, **options)
        for k, model in enumerate(models):
            q = (quality or {}).get(model, 0.3 + 0.6 * k / max(len(models) - 1, 1))
            preds = [_predict(kind, refs, q, rng) for _, refs in samples]
            refs = [r for _, r in samples]
            stats = metric.stats(preds, refs)
            values = metric.score(stats)
            cis, draws = confidence_intervals_with_draws(metric, stats, n_resamples)
            record = copy.deepcopy(template)
            record["task"].update(
                name=task,
                kind=kind,
                version=1,
                limit=limit,
                sha256=hashlib.sha256(task.encode()).hexdigest(),
            )
            record["model"].update(name=model, spec=model, parameters=1000 * (k + 1))
            record["scores"] = {
                key: {
                    "value": float(v),
                    "signature": metric.signature() + suffix,
                    "ci95": list(cis[key]),
                    **({"extra": metric.extras(stats)} if i == 0 and metric.extras(stats) else {}),
                }
                for i, (key, v) in enumerate(values.items())
            }
            record["n_samples"] = n_samples
            record["n_errors"] = 0
            record["errors"] = []
            record["profile"]["samples_per_s"] = 100.0 * (len(models) - k) + rng.random()
            if "contention" in record["profile"]:
                record["profile"]["contention"]["contended"] = model in contended
            if perturbed:
                record["perturbation"] = perturbed
            path = results_path(out_dir, model, task, perturbed and perturbed["spec"])
            rows = [
                SampleRow(f"{task}-{i}", p, r, None, *_question(kind, i, r[0]), media=media[i])
                for i, (p, r) in enumerate(zip(preds, refs, strict=True))
            ]
            kept = Resamples(DEFAULT_SEED, draws) if keep_resamples else None  # as a run does
            log = MetricLog.of(name, options, metric, stats, kept)
            record["samples_log"] = write_sample_log(
                log_path(path), {"task": task, "task_version": 1, "model": model}, rows, [log]
            )
            validate(record)
            written.append(write_json_atomic(path, record))
    return written
