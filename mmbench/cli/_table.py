"""Terminal tables shared by subcommands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def format_score(score: dict[str, Any]) -> str:
    """``0.5312 [0.5214, 0.5410]``; values in [0, 1] are shown as they are stored."""
    value = score["value"]
    if value is None:
        return "n/a"
    ci = score.get("ci95")
    return f"{value:.4f} [{ci[0]:.4f}, {ci[1]:.4f}]" if ci else f"{value:.4f}"


def print_results(records: Sequence[dict[str, Any]], paths: Sequence[Path] = ()) -> None:
    """One row per (model, task, metric) with the 95% CI, sample/error counts and speed."""
    table = Table(title="mmbench results (95% bootstrap CI)")
    for col in ("task", "model", "metric", "score [95% CI]", "n", "errors", "samples/s"):
        table.add_column(col, justify="right" if col in ("n", "errors", "samples/s") else "left")
    for rec in records:
        sps = rec.get("profile", {}).get("samples_per_s")
        speed = f"{sps:,.1f}" if sps else "-"
        scores = rec["scores"] or {"(predict only)": {"value": None}}
        for i, (name, score) in enumerate(scores.items()):
            table.add_row(
                rec["task"]["name"] if i == 0 else "",
                rec["model"]["name"] if i == 0 else "",
                name,
                format_score(score),
                str(rec["n_samples"]) if i == 0 else "",
                str(rec["n_errors"]) if i == 0 else "",
                speed if i == 0 else "",
            )
    console = Console()
    console.print(table)
    for rec, path in zip(records, paths, strict=False):
        for sig in sorted({s["signature"] for s in rec["scores"].values()}):
            console.print(f"  {rec['task']['name']}: {sig}", highlight=False)
        console.print(f"  results: {path}", highlight=False)
        for kind, exported in rec.get("outputs", {}).items():
            console.print(f"  {rec['task']['name']}: {kind}: {exported}", highlight=False)
