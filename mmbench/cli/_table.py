"""Tables every subcommand prints: rich boxes on a wide terminal, Markdown elsewhere.

A rich table squeezed into a pipe or a narrow terminal cuts cells (``coco_karpathy_te…``,
``1,44…``). :func:`show` prints a :class:`TextTable` as a box only when it fits the
terminal, and otherwise as a GitHub Markdown table whose cells are never cut.

>>> t = TextTable(["task", "n"], [["coco_karpathy_test", "5,000"]], right={"n"})
>>> print(t.markdown())
| task | n |
|---|---:|
| coco_karpathy_test | 5,000 |
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmbench.units import CONTENDED_MARK, format_bytes

#: Width used when output is not a terminal (pipes, CI logs), where rich would assume 80.
PIPE_WIDTH = 150
#: Narrowest a wrapping (prose) column gets in a box.
_WRAP_WIDTH = 24
CONTENDED_NOTE = (
    f"{CONTENDED_MARK} measured under CPU contention (other processes or steal; "
    "see profile.contention in the results file): not the machine's idle throughput"
)


@dataclass
class TextTable:
    """Columns and rows of strings, with an optional title and right-aligned columns."""

    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    title: str = ""
    right: set[str] = field(default_factory=set)
    wrap: set[str] = field(default_factory=set)  # prose columns a box may wrap (never cut)

    def add_row(self, *cells: str) -> None:
        self.rows.append([str(c) for c in cells])

    def width(self) -> int:
        """Characters a boxed rendering needs (widest cell per column plus borders)."""
        widths = [
            min(w, _WRAP_WIDTH) if c in self.wrap else w
            for c, w in zip(self.columns, self._widths(), strict=True)
        ]
        return sum(widths) + 3 * len(widths) + 1

    def _widths(self) -> list[int]:
        return [max([len(c), *(len(r[i]) for r in self.rows)]) for i, c in enumerate(self.columns)]

    def markdown(self) -> str:
        """A GitHub Markdown table (``|`` in cells escaped)."""

        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

        align = ["---:" if c in self.right else "---" for c in self.columns]
        return "\n".join(
            [line(self.columns), "|" + "|".join(align) + "|", *(line(r) for r in self.rows)]
        )

    def rich(self) -> Any:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.title or None)
        for col, w in zip(self.columns, self._widths(), strict=True):
            justify = "right" if col in self.right else "left"
            if col in self.wrap:
                table.add_column(col, justify=justify, min_width=min(w, _WRAP_WIDTH))
            else:
                table.add_column(col, justify=justify, no_wrap=True, min_width=w)
        for row in self.rows:
            table.add_row(*(Text(c) for c in row))  # cells are data, never rich markup
        return table


def show(table: TextTable, out: Any = None) -> None:
    """Print ``table`` on ``out`` (default :func:`console`): a rich box when stdout is a
    terminal wide enough for every cell, else Markdown (untruncated, pipe-friendly)."""
    out = out or console()
    if out.is_terminal and table.width() <= out.width:
        out.print(table.rich())
        return
    if table.title:
        out.print(table.title, highlight=False, markup=False, soft_wrap=True)
        out.print()
    out.print(table.markdown(), highlight=False, markup=False, soft_wrap=True)


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


def console(stderr: bool = False, **options: Any) -> Any:
    """A rich console (``options`` as ``rich.console.Console`` takes them) that does not
    squeeze lines to 80 columns when writing to a pipe."""
    from rich.console import Console

    out = Console(stderr=stderr, **options)
    return out if out.is_terminal else Console(stderr=stderr, width=PIPE_WIDTH, **options)


def contended(profile: dict[str, Any]) -> bool:
    """True when the profile's measured window was marked contended.

    >>> contended({"contention": {"contended": True}}), contended({"contention": None})
    (True, False)
    """
    return bool((profile.get("contention") or {}).get("contended"))


def cost_cells(profile: dict[str, Any]) -> dict[str, str]:
    """The cost columns of one run: samples/s, p90 batch latency, peak memory, RTFx.

    Peak memory is CUDA's max allocated where the run was on a GPU, else host peak RSS.
    A throughput measured under contention carries :data:`CONTENDED_MARK`.

    >>> cost_cells({"samples_per_s": 1845.0, "contention": {"contended": True}})["samples/s"]
    '1,845.0†'
    """
    sps = profile.get("samples_per_s")
    latency = profile.get("latency_s") or {}
    memory = profile.get("memory") or {}
    peak = memory.get("cuda_max_allocated_bytes") or memory.get("host_peak_rss_bytes")
    audio = profile.get("audio") or {}
    return {
        "samples/s": (f"{sps:,.1f}" + (CONTENDED_MARK if contended(profile) else ""))
        if sps
        else "-",
        "p90 ms": f"{latency['p90'] * 1000:,.1f}" if "p90" in latency else "-",
        "peak mem": format_bytes(peak),
        "RTFx": f"{audio['rtfx']:,.1f}" if audio.get("rtfx") else "-",
    }


def results_table(records: Sequence[dict[str, Any]]) -> TextTable:
    """One row per (model, task, metric) with the 95% CI, counts and the run's cost
    (samples/s, p90 batch latency, peak memory, and RTFx when any task has audio)."""
    cost_cols = ["samples/s", "p90 ms", "peak mem"]
    if any((rec.get("profile") or {}).get("audio") for rec in records):
        cost_cols.append("RTFx")
    cols = ["task", "model", "metric", "score", "95% CI", "n", "errors", *cost_cols]
    table = TextTable(cols, title="mmbench results (95% bootstrap CI)", right=set(cols[3:]))
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
    return table


def print_results(records: Sequence[dict[str, Any]], paths: Sequence[Path] = ()) -> None:
    """The :func:`results_table`, then each task's scorer signatures and files written."""
    out = console()
    show(results_table(records), out)
    if any(contended(rec.get("profile") or {}) for rec in records):
        out.print(f"  {CONTENDED_NOTE}", highlight=False, soft_wrap=True)
    for rec, path in zip(records, paths, strict=False):
        for sig in sorted({s["signature"] for s in rec["scores"].values()}):
            out.print(f"  {rec['task']['name']}: {sig}", highlight=False, soft_wrap=True)
        out.print(f"  results: {path}", highlight=False, soft_wrap=True)
        for kind, exported in rec.get("outputs", {}).items():
            out.print(
                f"  {rec['task']['name']}: {kind}: {exported}", highlight=False, soft_wrap=True
            )
