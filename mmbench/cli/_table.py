"""Terminal tables shared by subcommands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

#: Width used when output is not a terminal (pipes, CI logs), where rich would assume 80.
PIPE_WIDTH = 150


def format_score(score: dict[str, Any]) -> tuple[str, str]:
    """``("0.5312", "0.5214–0.5410")``: the value and its 95% CI, as stored (fractions).

    >>> format_score({"value": 0.5, "ci95": [0.25, 0.75]})
    ('0.5000', '0.2500–0.7500')
    """
    value = score["value"]
    if value is None:
        return "n/a", ""
    ci = score.get("ci95")
    return f"{value:.4f}", (f"{ci[0]:.4f}–{ci[1]:.4f}" if ci else "")


def console() -> Console:
    """A console that does not squeeze tables to 80 columns when writing to a pipe."""
    from rich.console import Console

    out = Console()
    return out if out.is_terminal else Console(width=PIPE_WIDTH)


def format_bytes(n: int | None) -> str:
    """``1.5 GiB``; ``-`` for unknown.

    >>> format_bytes(3 * 2**20)
    '3.0 MiB'
    """
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return "-"


def cost_cells(profile: dict[str, Any]) -> dict[str, str]:
    """The cost columns of one run: samples/s, p90 batch latency, peak memory, RTFx.

    Peak memory is CUDA's max allocated where the run was on a GPU, else host peak RSS.
    """
    sps = profile.get("samples_per_s")
    latency = profile.get("latency_s") or {}
    memory = profile.get("memory") or {}
    peak = memory.get("cuda_max_allocated_bytes") or memory.get("host_peak_rss_bytes")
    audio = profile.get("audio") or {}
    return {
        "samples/s": f"{sps:,.1f}" if sps else "-",
        "p90 ms": f"{latency['p90'] * 1000:,.1f}" if "p90" in latency else "-",
        "peak mem": format_bytes(peak),
        "RTFx": f"{audio['rtfx']:,.1f}" if audio.get("rtfx") else "-",
    }


def print_results(records: Sequence[dict[str, Any]], paths: Sequence[Path] = ()) -> None:
    """One row per (model, task, metric) with the 95% CI, counts and the run's cost
    (samples/s, p90 batch latency, peak memory, and RTFx when any task has audio)."""
    from rich.table import Table

    table = Table(title="mmbench results (95% bootstrap CI)")
    cost_cols = ["samples/s", "p90 ms", "peak mem"]
    if any((rec.get("profile") or {}).get("audio") for rec in records):
        cost_cols.append("RTFx")
    for col in ("task", "model", "metric", "score", "95% CI", "n", "errors", *cost_cols):
        left = col in ("task", "model", "metric")
        table.add_column(col, justify="left" if left else "right", no_wrap=col != "model")
    for rec in records:
        cost = cost_cells(rec.get("profile") or {})
        scores = rec["scores"] or {"(predict only)": {"value": None}}
        for i, (name, score) in enumerate(scores.items()):
            first = i == 0
            table.add_row(
                rec["task"]["name"] if first else "",
                rec["model"]["name"] if first else "",
                name,
                *format_score(score),
                str(rec["n_samples"]) if first else "",
                str(rec["n_errors"]) if first else "",
                *(cost[c] if first else "" for c in cost_cols),
            )
    out = console()
    out.print(table)
    for rec, path in zip(records, paths, strict=False):
        for sig in sorted({s["signature"] for s in rec["scores"].values()}):
            out.print(f"  {rec['task']['name']}: {sig}", highlight=False, soft_wrap=True)
        out.print(f"  results: {path}", highlight=False, soft_wrap=True)
        for kind, exported in rec.get("outputs", {}).items():
            out.print(
                f"  {rec['task']['name']}: {kind}: {exported}", highlight=False, soft_wrap=True
            )
