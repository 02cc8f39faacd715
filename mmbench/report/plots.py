"""Plots for the page, as ``data:`` URIs (PNG) so the HTML stays one self-contained file.

Per task: the headline scores with their 95% CI whiskers, and quality against throughput
with the Pareto front (the models no other model beats on both). Across tasks: the shipped
reference fusion models (``ref-<fusion>``) side by side. Matplotlib's object API is used
(no pyplot state), with the Agg canvas.

>>> pareto_front([(1.0, 0.5), (2.0, 0.4), (0.5, 0.6), (1.5, 0.3)], higher_is_better=True)
[2, 0, 1]
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence

from mmbench.report.board import Board, TaskBoard

DPI = 72


def pareto_front(points: Sequence[tuple[float, float]], higher_is_better: bool) -> list[int]:
    """Indices of (throughput, score) points no other point beats on both, by throughput.

    Higher throughput is always better; the score's direction is ``higher_is_better``.
    """
    sign = 1.0 if higher_is_better else -1.0
    front = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (x2 >= x and sign * y2 >= sign * y) and (x2 > x or sign * y2 > sign * y)
            for j, (x2, y2) in enumerate(points)
            if j != i
        )
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: points[i][0])


def _figure(width: float, height: float):  # -> matplotlib Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def _uri(fig) -> str:
    """PNG quantized to a 64-colour palette (a third of the bytes; plots have few colours)."""
    from PIL import Image

    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=DPI)
    raw.seek(0)
    buf = io.BytesIO()
    Image.open(raw).convert("RGB").quantize(64).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def task_plot(board: Board, task: TaskBoard) -> str:
    """Scores with CI whiskers (left) and score vs samples/s with the Pareto front (right)."""
    models = [m for m in board.models if m in task.rows]
    rows = [task.rows[m] for m in models]
    height = max(2.5, 0.16 * len(models) + 1.0)
    fig = _figure(10, height)
    ax, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(
        left=0.2, right=0.98, wspace=0.25, bottom=0.7 / height, top=1 - 0.35 / height
    )
    ys = list(range(len(models)))[::-1]
    scores = [r["score"] for r in rows]
    lows = [r["score"] - r["ci95_low"] if r["ci95_low"] is not None else 0 for r in rows]
    highs = [r["ci95_high"] - r["score"] if r["ci95_high"] is not None else 0 for r in rows]
    ax.errorbar(scores, ys, xerr=[lows, highs], fmt="o", ms=4, capsize=3, color="#1f5fa8")
    ax.set_yticks(ys, [m[:28] for m in models], fontsize=7)
    ax.set_xlabel(f"{task.key} ({'higher' if task.higher_is_better else 'lower'} is better)")
    ax.set_title("score, 95% CI", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    pts = [
        (r["samples_per_s"], r["score"], m)
        for m, r in zip(models, rows, strict=True)
        if r["samples_per_s"] and r["samples_per_s"] > 0 and not math.isnan(r["score"])
    ]
    if pts:
        ax2.scatter([p[0] for p in pts], [p[1] for p in pts], s=14, color="#888")
        front = pareto_front([(p[0], p[1]) for p in pts], task.higher_is_better)
        ax2.plot(
            [pts[i][0] for i in front],
            [pts[i][1] for i in front],
            "-o",
            ms=4,
            color="#c0392b",
            label="Pareto front",
        )
        for i in front:
            ax2.annotate(
                pts[i][2][:20],
                (pts[i][0], pts[i][1]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax2.set_xscale("log")
        ax2.legend(fontsize=7, loc="best")
    ax2.set_xlabel("samples/s (log)")
    ax2.set_title("quality vs throughput", fontsize=9)
    ax2.grid(alpha=0.3)
    return _uri(fig)


def fusion_plot(board: Board) -> str | None:
    """Headline score per task of each ``ref-<fusion>`` model (None with fewer than two):
    the clean columns, or every column of a board that has only perturbed ones."""
    refs = [m for m in board.models if m.startswith("ref-")]
    columns = [t for t in board.tasks if t.perturbation is None] or board.tasks
    if len(refs) < 2 or not columns:
        return None
    fig = _figure(10, 3.2)
    axes = fig.subplots(1, len(columns), squeeze=False)[0]
    for ax, task in zip(axes, columns, strict=True):
        names = [m for m in refs if m in task.rows]
        ax.bar(range(len(names)), [task.rows[m]["score"] for m in names], color="#1f5fa8")
        ax.set_xticks(range(len(names)), [m[4:] for m in names], rotation=60, fontsize=7)
        ax.set_title(f"{task.label}\n{task.key}", fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
    fig.subplots_adjust(bottom=0.35, top=0.82, wspace=0.35)
    return _uri(fig)
