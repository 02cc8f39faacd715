"""Robustness curves: one model (and an optional baseline) clean and under every perturbation
at every severity, each condition a normal resumable run (:func:`mmbench.runner.run_task`).

Writes ``robustness/<task>__<model>.json`` (every point and the summaries of
:mod:`mmbench.experiments.robustness_metrics`), ``.md`` (the table) and ``.png`` (score vs
severity with 95% CIs) under the output folder, each atomically.

>>> conditions(["image:jpeg", "missing:image"], [1, 2])
[('clean', 0, ''), ('image:jpeg', 1, 'image:jpeg@1'), ('image:jpeg', 2, 'image:jpeg@2'), \
('missing:image', 0, 'missing:image')]
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from mmbench.atomic import write_json_atomic, write_text_atomic
from mmbench.experiments import robustness_metrics as rm
from mmbench.experiments.compare import primary_metric
from mmbench.perturb import PerturbationError, expand, parse_one
from mmbench.perturb.definition import definition
from mmbench.tasks import Task


@dataclass
class Point:
    """One model under one condition (``severity`` 0: clean, or a missing modality)."""

    model: str
    perturbation: str
    severity: int
    spec: str
    score: float | None
    ci95: list[float] | None
    n_samples: int
    n_errors: int
    results: str


@dataclass
class Summary:
    """One model's robustness to one perturbation (the baseline-relative ones need one)."""

    model: str
    perturbation: str
    relative_robustness: float | None
    effective_robustness: float | None = None
    corruption_error: float | None = None
    relative_corruption_error: float | None = None


@dataclass
class Report:
    """Every point and summary of one robustness sweep."""

    task: str
    metric: str
    higher_is_better: bool
    model: str
    baseline: str | None
    points: list[Point] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    mce: float | None = None
    relative_mce: float | None = None


def conditions(perturbs: Sequence[str], severities: Sequence[int]) -> list[tuple[str, int, str]]:
    """``(perturbation, severity, spec)`` to run: clean first, then each perturbation at each
    severity (families expanded; a spec with its own ``@...`` and a missing modality once)."""
    out: list[tuple[str, int, str]] = [("clean", 0, "")]
    for raw in perturbs:
        name, at, _ = raw.partition("@")
        for member in expand(name):
            if definition(member).missing or at:
                step = parse_one(member + raw[len(name) :])
                out.append((member, step.severity or 0, step.spec))
            else:
                out += [(member, s, parse_one(member, severity=s).spec) for s in severities]
    return out


def parse_severities(text: str) -> list[int]:
    """``"1-5"``, ``"1,3,5"`` or ``"2"`` as a sorted list of severities within 1-5.

    >>> parse_severities("1-3"), parse_severities("5,1")
    ([1, 2, 3], [1, 5])
    """
    out: set[int] = set()
    try:
        for part in text.split(","):
            lo, dash, hi = part.strip().partition("-")
            out.update(range(int(lo), int(hi) + 1) if dash else [int(lo)])
    except ValueError:
        raise PerturbationError(f"--severities {text!r}: write 1-5, 1,3,5 or 2") from None
    if not out or not out <= {1, 2, 3, 4, 5}:
        raise PerturbationError(f"--severities {text!r}: severities are 1-5")
    return sorted(out)


def _higher_is_better(task: Task, key: str) -> bool:
    from mmbench.metrics.base import get_metric

    for spec in task.metrics:
        metric = get_metric(spec.name)
        if key in metric.keys or key == metric.name:
            return metric.higher_is_better
    return True


def run_points(
    model_spec: str, task: Task, cfg: Any, conds: Sequence[tuple[str, int, str]], log: Callable
) -> tuple[list[Point], str]:
    """Run every condition for one model (``cfg``: a RunConfig); returns points and metric."""
    from mmbench.runner import run_task

    points, metric = [], ""
    for pert, severity, spec in conds:
        log(f"{model_spec} · {task.name} · {spec or 'clean'}")
        run = run_task(model_spec, task, replace(cfg, perturb=(spec,) if spec else ()))
        rec = run.record
        metric = metric or primary_metric(rec["scores"]) or ""
        score = rec["scores"].get(metric, {})
        points.append(
            Point(
                rec["model"]["name"],
                pert,
                severity,
                spec,
                score.get("value"),
                score.get("ci95"),
                rec["n_samples"],
                rec["n_errors"],
                str(run.path),
            )  # fmt: skip
        )
    return points, metric


def summarize(report: Report) -> None:
    """Fill ``report.summaries`` and the mCEs from its points."""
    by = {(p.model, p.perturbation, p.severity): p.score for p in report.points}
    models = [report.model] + ([report.baseline] if report.baseline else [])
    swept = [p for p in dict.fromkeys(p.perturbation for p in report.points) if p != "clean"]
    ces, rces = [], []
    for model in models:
        for pert in swept:
            sev = sorted(s for (m, q, s) in by if m == model and q == pert and s > 0)
            if not sev:
                continue  # a missing modality: one point, no curve
            curve = [by[(model, "clean", 0)]] + [by[(model, pert, s)] for s in sev]
            if any(v is None for v in curve):
                continue
            summary = Summary(
                model, pert, rm.relative_robustness(curve, [0] + [rm.noise_level(s) for s in sev])
            )
            base = report.baseline
            if base and model != base:
                bcurve = [by.get((base, "clean", 0))] + [by.get((base, pert, s)) for s in sev]
                if all(v is not None for v in bcurve):
                    err = [rm.error(v, report.higher_is_better) for v in curve]
                    berr = [rm.error(v, report.higher_is_better) for v in bcurve]
                    summary.effective_robustness = rm.effective_robustness(curve, bcurve)
                    summary.corruption_error = rm.corruption_error(err[1:], berr[1:])
                    summary.relative_corruption_error = rm.relative_corruption_error(
                        err[1:], err[0], berr[1:], berr[0]
                    )
                    ces.append(summary.corruption_error)
                    rces.append(summary.relative_corruption_error)
            report.summaries.append(summary)
    if ces and None not in ces:
        report.mce = round(sum(ces) / len(ces), 10)
    if rces and None not in rces:
        report.relative_mce = round(sum(rces) / len(rces), 10)


def robustness(
    model_spec: str,
    task: Task,
    perturbs: Sequence[str],
    severities: Sequence[int],
    cfg: Any,
    baseline: str | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[Report, dict[str, Path]]:
    """Run the sweep for the model (and the baseline), summarize, write the report files.

    ``cfg.model_args`` (``--model-arg``) reach the model, not the baseline.
    """
    conds = conditions(perturbs, severities)
    points, metric = run_points(model_spec, task, cfg, conds, log)
    report = Report(task.name, metric, _higher_is_better(task, metric), points[0].model, None)
    report.points = points
    if baseline:
        base_points, _ = run_points(baseline, task, replace(cfg, model_args={}), conds, log)
        report.baseline = base_points[0].model
        if report.baseline == report.model:
            raise PerturbationError(f"--baseline {baseline!r} is the model itself")
        report.points += base_points
    summarize(report)
    return report, write_report(report, Path(cfg.out_dir))


@dataclass
class Table:
    """Columns and rows of strings (``right``: the right-aligned columns)."""

    columns: list[str]
    rows: list[list[str]]
    right: set[str]


def tables(report: Report) -> list[Table]:
    """The points (score, CI, change from clean, errors) and, when any, the summaries."""
    clean = {p.model: p.score for p in report.points if p.perturbation == "clean"}

    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.4f}"

    points = Table(
        ["model", "perturbation", "severity", f"{report.metric} [95% CI]", "vs clean", "errors"],
        [],
        {"severity", "vs clean", "errors"},
    )
    for p in report.points:
        score = "n/a" if p.score is None else f"{p.score:.4f}"
        if p.ci95:
            score += f" [{p.ci95[0]:.4f}, {p.ci95[1]:.4f}]"
        delta = "" if p.score is None or clean.get(p.model) is None else (
            f"{p.score - clean[p.model]:+.4f}")  # fmt: skip
        sev = str(p.severity) if p.severity else "-"
        points.rows.append([p.model, p.spec or "clean", sev, score, delta, str(p.n_errors)])
    out = [points]
    if report.summaries:
        cols = ["relative robustness", "effective robustness", "CE %", "relative CE %"]
        summary = Table(["model", "perturbation", *cols], [], set(cols))
        for s in report.summaries:
            summary.rows.append([s.model, s.perturbation, f(s.relative_robustness),
                                 f(s.effective_robustness), f(s.corruption_error),
                                 f(s.relative_corruption_error)])  # fmt: skip
        out.append(summary)
    return out


def mce_line(report: Report) -> str:
    """``mCE 87.50% · relative mCE 91.20% (baseline prior = 100%)``; ``""`` without a baseline."""
    if report.mce is None:
        return ""
    rel = "-" if report.relative_mce is None else f"{report.relative_mce:.2f}%"
    return f"mCE {report.mce:.2f}% · relative mCE {rel} (baseline {report.baseline} = 100%)"


def markdown(report: Report) -> str:
    """:func:`tables` and :func:`mce_line` as Markdown."""
    blocks = []
    for t in tables(report):
        align = ["---:" if c in t.right else "---" for c in t.columns]
        lines = ["| " + " | ".join(t.columns) + " |", "|" + "|".join(align) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in t.rows]
        blocks.append("\n".join(lines))
    if mce_line(report):
        blocks.append(mce_line(report))
    return "\n\n".join(blocks) + "\n"


def plot_png(report: Report) -> bytes:
    """Score vs severity, one line per (model, perturbation), 95% CIs as error bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    clean = {p.model: p for p in report.points if p.perturbation == "clean"}
    swept = dict.fromkeys(s.perturbation for s in report.summaries)
    colour = {q: f"C{i % 10}" for i, q in enumerate(swept)}  # the baseline: same colour, dashed
    for s in report.summaries:
        pts = [clean[s.model]] + [
            p for p in report.points if p.model == s.model and p.perturbation == s.perturbation
        ]
        pts = [p for p in pts if p.score is not None]
        lo = [p.score - p.ci95[0] if p.ci95 else 0 for p in pts]
        hi = [p.ci95[1] - p.score if p.ci95 else 0 for p in pts]
        ax.errorbar([p.severity for p in pts], [p.score for p in pts], yerr=[lo, hi],
                    label=f"{s.model} · {s.perturbation}", capsize=3, marker="o",
                    color=colour[s.perturbation],
                    linestyle="--" if s.model == report.baseline else "-")  # fmt: skip
    ax.set_xlabel("severity (0 = clean)")
    ax.set_ylabel(report.metric)
    ax.set_title(f"{report.task}: {report.metric} under perturbation")
    ax.set_xticks(range(0, 6))
    ax.grid(alpha=0.3)
    if report.summaries:
        ax.legend(fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def write_report(report: Report, out_dir: Path) -> dict[str, Path]:
    """``robustness/<task>__<model>.{json,md,png}`` under ``out_dir``, each atomic."""
    from mmbench.atomic import write_bytes_atomic

    stem = Path(out_dir) / "robustness" / f"{report.task}__{report.model}"
    paths = {
        "json": write_json_atomic(stem.with_suffix(".json"), asdict(report)),
        "md": stem.with_suffix(".md"),
        "png": stem.with_suffix(".png"),
    }
    write_text_atomic(paths["md"], markdown(report))
    write_bytes_atomic(paths["png"], plot_png(report))
    return paths
