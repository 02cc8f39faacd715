"""Fusion comparison: every fusion method on the same tasks, one table.

For each fusion method (and the ``seed`` model) and each task: shipped weights (or weights
trained under an equal budget with ``train=True``) are evaluated with
:func:`mmbench.runner.run_task`; parameters, FLOPs per sample and throughput come from the
run's results record (FLOPs counted on the task's first batch, see
:mod:`mmbench.profiling.compute`), so the table and ``mmbench run`` agree. The table is
written atomically as JSON, CSV and Markdown.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mmbench.adapters.base import ModelContext, build_model
from mmbench.adapters.reference import FUSION_NAMES, model_name
from mmbench.atomic import write_json_atomic, write_text_atomic
from mmbench.profiling import DEFAULT_WARMUP
from mmbench.tasks import Task


@dataclass
class CompareRow:
    """One (model, task) line of the comparison table."""

    task: str
    model: str
    fusion: str
    metric: str
    score: float | None
    ci95: list[float] | None
    parameters: int | None
    flops_per_sample: float | None
    samples_per_s: float | None
    n_samples: int
    results: str
    perturbation: str = ""


#: the headline score of a task kind, where a run reports several
PRIMARY_METRICS = ("CIDEr", "vqa_accuracy", "wer")


def primary_metric(scores: dict[str, Any]) -> str | None:
    """The score a comparison ranks by: CIDEr-D for captions, VQA accuracy, WER; else the first.

    >>> primary_metric({"Bleu_1": {}, "CIDEr": {}}), primary_metric({"cer": {}, "wer": {}})
    ('CIDEr', 'wer')
    """
    return next((m for m in PRIMARY_METRICS if m in scores), next(iter(scores), None))


def skip_reason(variant: str, task: Task, probe: Sequence[Any], trained: bool) -> str | None:
    """Why ``variant`` cannot be compared on ``task`` (None when it can).

    ``seed`` answers written questions only; without training, a variant needs shipped
    weights for the task.
    """
    from mmbench.adapters.reference import shipped_tasks
    from mmbench.types import TaskKind

    name = model_name(variant)
    if variant == "seed" and (task.kind is not TaskKind.VQA or any(s.text is None for s in probe)):
        return f"{name} skipped on {task.name}: it answers written questions only"
    if not trained and task.name not in shipped_tasks(variant):
        return f"{name} skipped on {task.name}: no shipped weights (train them with --train)"
    return None


def compare(
    variants: Sequence[str],
    tasks: Sequence[Task],
    out_dir: Path,
    data_root: Path | None = None,
    limit: int | None = None,
    train_cfg: dict[str, Any] | None = None,
    log: Callable[[str], None] = lambda _: None,
    warmup: int = DEFAULT_WARMUP,
    threads: int | None = None,
    perturb: Sequence[str] = (),
    model_args: Mapping[str, str] | None = None,
) -> list[CompareRow]:
    """Evaluate ``ref-<variant>`` (``seed`` for ``"seed"``) on each task; write the tables.

    ``train_cfg`` (TrainConfig fields but task/fusion): train every variant first with that
    same budget and evaluate the fresh weights instead of the shipped ones. Pairs that cannot
    run (see :func:`skip_reason`) are logged and left out of the table. ``warmup``: batches
    excluded from samples/s, as in ``mmbench run`` (a small test split needs fewer).
    ``threads``: torch intra-op threads (None: the thread policy's choice).
    ``perturb``: ``--perturb`` specs every model is evaluated under (see
    :mod:`mmbench.perturb`); the rows and the results records carry the perturbation.
    ``model_args``: ``--model-arg`` options given to every model.
    """
    from mmbench.runner import RunConfig, run_task

    rows: list[CompareRow] = []
    for task in tasks:
        probe = [s for _, s in zip(range(8), task.samples(data_root), strict=False)]
        for variant in variants:
            reason = skip_reason(variant, task, probe, train_cfg is not None)
            if reason is not None:
                log(reason)
                continue
            name = spec = model_name(variant)
            if train_cfg is not None:
                from mmbench.experiments.train import TrainConfig, train_task

                cfg = TrainConfig(task=task.name, fusion=variant, **train_cfg)
                res = train_task(cfg, Path(out_dir) / "weights", data_root, test=False, log=log)
                registered = variant == "seed" or variant in FUSION_NAMES
                spec = f"{name if registered else 'ref'}:{res.weights}"  # ref: any checkpoint
            model_ctx = ModelContext(task, data_root, "cpu", model_args=model_args or {})
            model = build_model(spec, model_ctx)
            log(f"evaluating {spec} on {task.name}")
            cfg = RunConfig(
                out_dir=out_dir,
                data_root=data_root,
                limit=limit,
                progress=False,
                warmup=warmup,
                threads=threads,
                perturb=tuple(perturb),
                model_args=model_args or {},
            )
            run = run_task(spec, task, cfg, model=model)
            rec = run.record
            if rec["profile"].get("samples_per_s") is None:
                log(f"{name} on {task.name}: every prediction was resumed from {out_dir}, none "
                    "timed or counted; samples/s and FLOPs need a fresh --out")  # fmt: skip
            metric = primary_metric(rec["scores"])
            score = rec["scores"].get(metric, {}) if metric else {}
            rows.append(
                CompareRow(
                    task=task.name,
                    model=name,
                    fusion=variant,
                    metric=metric or "",
                    score=score.get("value"),
                    ci95=score.get("ci95"),
                    parameters=rec["model"]["parameters"],
                    flops_per_sample=(rec["profile"].get("flops") or {}).get("per_sample"),
                    samples_per_s=rec["profile"].get("samples_per_s"),
                    n_samples=rec["n_samples"],
                    results=str(run.path),
                    perturbation=(rec.get("perturbation") or {}).get("spec", ""),
                )  # fmt: skip
            )
    write_tables(rows, out_dir)
    return rows


#: Columns of the comparison table (the right-aligned ones are numbers).
COLUMNS = [
    "task",
    "model",
    "metric",
    "score [95% CI]",
    "parameters",
    "MFLOPs/sample",
    "samples/s",
    "n",
]
NUMERIC = {"parameters", "MFLOPs/sample", "samples/s", "n"}


def cells(r: CompareRow) -> list[str]:
    """One row of the comparison table as strings, in :data:`COLUMNS` order."""
    score = "n/a" if r.score is None else f"{r.score:.4f}"
    if r.ci95:
        score += f" [{r.ci95[0]:.4f}, {r.ci95[1]:.4f}]"
    flops = "-" if r.flops_per_sample is None else f"{r.flops_per_sample / 1e6:.2f}"
    sps = "-" if r.samples_per_s is None else f"{r.samples_per_s:,.0f}"
    params = "-" if r.parameters is None else f"{r.parameters:,}"
    return [r.task, r.model, r.metric, score, params, flops, sps, str(r.n_samples)]


def markdown(rows: Sequence[CompareRow]) -> str:
    """The comparison as a Markdown table (headed by the perturbation, if any)."""
    perturbed = sorted({r.perturbation for r in rows if r.perturbation})
    lines = [f"Under perturbation: {', '.join(perturbed)}", ""] if perturbed else []
    align = "|".join("---:" if c in NUMERIC else "---" for c in COLUMNS)
    lines += ["| " + " | ".join(COLUMNS) + " |", f"|{align}|"]
    lines += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def write_tables(rows: Sequence[CompareRow], out_dir: Path) -> dict[str, Path]:
    """``compare.json``, ``compare.csv`` and ``compare.md`` under ``out_dir``, each atomic."""
    out = Path(out_dir)
    records = [asdict(r) for r in rows]
    paths = {"json": write_json_atomic(out / "compare.json", {"rows": records})}
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(records[0]) if records else ["task"])
    writer.writeheader()
    for rec in records:
        writer.writerow(
            {**rec, "ci95": "" if rec["ci95"] is None else " ".join(map(str, rec["ci95"]))}
        )
    write_text_atomic(out / "compare.csv", buf.getvalue())
    write_text_atomic(out / "compare.md", markdown(rows))
    paths.update(csv=out / "compare.csv", md=out / "compare.md")
    return paths
