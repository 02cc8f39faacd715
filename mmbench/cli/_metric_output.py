"""Printing of ``mmbench score`` results: a rich table, or JSON with ``--json``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mmbench.cli._table import TextTable, console, format_score, show

if TYPE_CHECKING:
    from mmbench.metrics.base import MetricResult

#: the options every ``mmbench score`` kind shares
Resamples = Annotated[
    int, typer.Option("--bootstrap", min=0, help="bootstrap resamples for CIs (0: none)")
]
AsJson = Annotated[bool, typer.Option("--json", help="print scores, CIs and signatures as JSON")]


def emit(
    title: str,
    results: Sequence[MetricResult],
    n_samples: int,
    as_json: bool,
    breakdowns: dict[str, dict[str, float]] | None = None,
) -> None:
    """Print scores with CIs and signatures; ``breakdowns`` are extra tables (e.g. per type)."""
    if as_json:
        payload: dict[str, Any] = {
            "n_samples": n_samples,
            "scores": {r.name: r.to_json() for r in results},
        }
        if breakdowns:
            payload["breakdowns"] = breakdowns
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    out = console()
    table = TextTable(
        ["metric", "score [95% CI]", "details"],
        title=f"{title} ({n_samples} samples, 95% bootstrap CI)",
        right={"score [95% CI]"},
        wrap={"details"},
    )
    for r in results:
        details = ", ".join(f"{k}={v}" for k, v in r.extra.items() if not isinstance(v, dict))
        table.add_row(r.name, " ".join(format_score(r.to_json())).strip(), details)
    show(table, out)
    for name, groups in (breakdowns or {}).items():
        sub = TextTable(["group", "value"], title=name, right={"value"})
        for group, value in groups.items():
            sub.add_row(group, f"{value:.4f}")
        show(sub, out)
    for sig in sorted({r.signature for r in results}):
        out.print(f"  {sig}", highlight=False, soft_wrap=True)
