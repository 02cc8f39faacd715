"""A board as tables: a pandas frame, Markdown (GitHub), CSV, JSON and a rich terminal table.

The quality table has one row per model (best overall first) and per task the headline score
with its 95% CI and the rank; the cost table has one row per (model, task) run.

>>> fmt_score(0.51234, 0.5, 0.52), fmt_number(1234567.0), format_bytes(3 * 2**20)
('0.5123 [0.5000, 0.5200]', '1.23M', '3.0 MiB')
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from mmbench.report.board import Board
from mmbench.units import CONTENDED_MARK as MARK
from mmbench.units import format_bytes, format_si

#: What :data:`~mmbench.units.CONTENDED_MARK` on a throughput means (under the tables).
CONTENDED_NOTE = (
    "measured under CPU contention (other processes or steal; see profile.contention in the "
    "results file): not the machine's idle throughput"
)


def fmt_score(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}" + (f" [{low:.4f}, {high:.4f}]" if low is not None else "")


def fmt_number(x: float | None) -> str:
    """``1.23M``-style; ``-`` for unknown (:func:`mmbench.units.format_si`, two decimals)."""
    return format_si(x, decimals=2, sep="", small=".3g")


def quality_frame(board: Board) -> pd.DataFrame:
    """One row per model: overall mean rank, parameters, per column score/CI/rank (raw
    numbers); columns are named by :attr:`TaskBoard.label` (``task · perturbation``)."""
    rows = []
    for name in board.models:
        m = board.overall[name]
        row: dict[str, Any] = {
            "model": name,
            "family": m["family"],
            "mean_rank": m["mean_rank"],
            "n_tasks": m["n_tasks"],
            "parameters": m["parameters"],
        }
        for t in board.tasks:
            r = t.rows.get(name)
            for col in ("score", "ci95_low", "ci95_high", "rank", "partial", "samples_per_s"):
                row[f"{t.label}.{col}"] = None if r is None else r[col]
            row[f"{t.label}.contended"] = None if r is None else r["contended"]
            if board.baseline is not None:
                vs = (r or {}).get("vs_baseline") or {}
                row[f"{t.label}.delta_vs_baseline"] = vs.get("delta")
                row[f"{t.label}.p_holm_vs_baseline"] = vs.get("p_holm")
        rows.append(row)
    return pd.DataFrame(rows)


COST_COLUMNS = [
    "samples_per_s",
    "latency_p90_s",
    "peak_memory_bytes",
    "flops_per_sample",
    "hardware",
    "contended",
]


def _cost_records(board: Board) -> list[dict[str, Any]]:
    """One dict per (model, task) run: model, task label and :data:`COST_COLUMNS`."""
    return [
        {"model": name, "task": t.label, **{c: t.rows[name][c] for c in COST_COLUMNS}}
        for t in board.tasks
        for name in board.models
        if name in t.rows
    ]


def cost_frame(board: Board) -> pd.DataFrame:
    """One row per (model, task) run with its cost columns."""
    return pd.DataFrame(_cost_records(board), columns=["model", "task", *COST_COLUMNS])


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def perturbation_text(perturbation: dict[str, Any]) -> str:
    """Every step of a record's ``perturbation`` with its parameters and seed.

    >>> from mmbench.perturb import Pipeline
    >>> perturbation_text(Pipeline.parse(["text:typo@3+missing:image"]).to_json())
    'text:typo severity 3 (rate=0.1, seed 0) + missing:image'
    """
    parts = []
    for step in perturbation["steps"]:
        params = ", ".join(f"{k}={v:g}" for k, v in step["params"].items())
        severity = f" severity {step['severity']}" if step.get("severity") else ""
        inside = f" ({params}, seed {step['seed']})" if params else ""
        parts.append(f"{step['name']}{severity}{inside}")
    return " + ".join(parts)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_table(header: list[str], rows: list[list[str]], escape: bool = True) -> str:
    """A GitHub table; ``escape`` makes cells safe as Markdown (pipes, HTML tags)."""
    esc = _md_escape if escape else str
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def quality_rows(board: Board) -> tuple[list[str], list[list[str]]]:
    """Header and text cells of the quality table (shared by Markdown and the terminal)."""
    header = ["model", "mean rank", "tasks", "params"]
    for t in board.tasks:
        arrow = "↑" if t.higher_is_better else "↓"
        header += [f"{t.label} {t.key} {arrow} [95% CI]", "rank"]
    rows = []
    for name in board.models:
        m = board.overall[name]
        cells = [
            name,
            f"{m['mean_rank']:.2f}",
            f"{m['n_tasks']}/{len(board.tasks)}",
            fmt_number(m["parameters"]),
        ]
        for t in board.tasks:
            r = t.rows.get(name)
            if r is None:
                cells += ["-", "-"]
                continue
            text = fmt_score(r["score"], r["ci95_low"], r["ci95_high"])
            vs = r.get("vs_baseline")
            if vs is not None:
                text += f" (Δ {vs['delta']:+.4f}{'*' if vs['significant'] else ''})"
            cells += [text, f"{r['rank']}{' (partial)' if r['partial'] else ''}"]
        rows.append(cells)
    return header, rows


def cost_rows(board: Board) -> tuple[list[str], list[list[str]]]:
    header = [
        "model",
        "task",
        "samples/s",
        "p90 batch latency",
        "peak memory",
        "FLOPs/sample",
        "hardware",
    ]
    rows = []
    for r in _cost_records(board):  # plain dicts: a frame's iterrows cost 10x more
        rows.append(
            [
                r["model"],
                r["task"],
                ("-" if _missing(r["samples_per_s"]) else f"{r['samples_per_s']:.1f}")
                + (MARK if r["contended"] else ""),
                "-" if _missing(r["latency_p90_s"]) else f"{r['latency_p90_s'] * 1000:.1f} ms",
                format_bytes(
                    None if _missing(r["peak_memory_bytes"]) else int(r["peak_memory_bytes"])
                ),
                fmt_number(None if _missing(r["flops_per_sample"]) else r["flops_per_sample"]),
                r["hardware"],
            ]
        )
    return header, rows


def sweep_rows(board: Board) -> tuple[list[str], list[list[str]]]:
    """Header and cells of the batch-size sweeps: one row per (sweep, batch size)."""
    header = ["model", "task", "device", "dtype", "batch", "samples/s", "p90 batch latency"]
    rows = []
    for s in board.sweeps:
        for p in s["points"]:
            latency = p["latency_p90_s"]
            rows.append(
                [
                    s["model"],
                    s["task"],
                    s["device"],
                    s["dtype"],
                    str(p["batch_size"]),
                    f"{p['samples_per_s']:.1f}" + (MARK if p["contended"] else ""),
                    "-" if latency is None else f"{latency * 1000:.1f} ms",
                ]
            )
    return header, rows


RULE = (
    "Rank: 1 + the number of models significantly better on the same samples (paired "
    "bootstrap, {n} resamples, 95%, Holm-corrected across the task's pairs); models whose "
    "difference is not significant share a rank. Mean rank: mean of the ranks over every "
    "column (task, clean or perturbed; lower is better), a column without the model counting "
    "as 1 + the number of models in it; tasks: columns with a result. ↑ higher is better, "
    "↓ lower is better."
)


def markdown(board: Board) -> str:
    """The board as GitHub Markdown: quality table, cost table, skipped inputs."""
    parts = [f"# {_md_escape(board.title)}", "", _md_table(*quality_rows(board)), ""]
    parts.append(RULE.format(n=board.n_resamples))
    if board.baseline:
        parts.append(
            f"Δ: difference to the baseline `{board.baseline}`; * = significant (Holm-corrected)."
        )
    parts += ["", "## Cost", "", _md_table(*cost_rows(board)), ""]
    if any(r["contended"] for t in board.tasks for r in t.rows.values()):
        parts += [f"{MARK} {CONTENDED_NOTE}.", ""]
    if board.sweeps:
        parts += ["## Batch-size sweeps (`mmbench profile`)", "", _md_table(*sweep_rows(board)), ""]
        if any(p["contended"] for s in board.sweeps for p in s["points"]):
            parts += [f"{MARK} {CONTENDED_NOTE}.", ""]
    parts += ["## Scores", ""]
    for t in board.tasks:
        line = f"- **{_md_escape(t.label)}** v{t.version}: `{t.key}` — `{t.signature}`"
        if t.perturbation:
            line += f"; perturbation: {perturbation_text(t.perturbation)}"
        parts.append(line)
    if board.skipped:
        parts += ["", "## Skipped inputs", ""]
        parts += [f"- `{s.path}`: {_md_escape(s.reason)}" for s in board.skipped]
    return "\n".join(parts) + "\n"


def to_json_text(board: Board) -> str:
    """``json.dumps(..., indent=2)``'s text, made faster: the C encoder writes compact JSON and
    msgspec indents it (numbers are copied as written, so the text is the same)."""
    import msgspec

    compact = json.dumps(board.to_json(), ensure_ascii=False, allow_nan=False)
    return msgspec.json.format(compact.encode("utf-8"), indent=2).decode("utf-8") + "\n"


def to_csv_text(board: Board) -> str:
    return quality_frame(board).to_csv(index=False, lineterminator="\n")
