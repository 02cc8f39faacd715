"""Plots for the page, as ``data:`` URIs (PNG) so the HTML stays one self-contained file.

Per column: the headline scores with their 95% CI whiskers, and quality against throughput
with the Pareto front (the models no other model beats on both). Across tasks: the shipped
reference fusion models (``ref-<fusion>``) side by side. Matplotlib's object API is used
(no pyplot state), with the Agg canvas.

>>> pareto_front([(1.0, 0.5), (2.0, 0.4), (0.5, 0.6), (1.5, 0.3)], higher_is_better=True)
[2, 0, 1]
"""

from __future__ import annotations

import base64
import gc
import io
import math
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np

from mmbench.report.board import Board, TaskBoard

DPI = 72
#: Pareto-front models named in a plot at most (evenly spread along the front).
MAX_LABELS = 8


def _spread(items: Sequence[int], k: int) -> list[int]:
    """At most ``k`` of ``items``, evenly spread, first and last included.

    >>> _spread(list(range(10)), 4), _spread([3, 4], 4)
    ([0, 3, 6, 9], [3, 4])
    """
    if len(items) <= k:
        return list(items)
    return [items[round(j * (len(items) - 1) / (k - 1))] for j in range(k)]


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


def _png_uri(rgb: np.ndarray) -> str:
    """An RGB image ``[H, W, 3]`` uint8 as a PNG ``data:`` URI, quantized to a 64-colour
    palette (a third of the bytes; plots have few colours)."""
    from PIL import Image

    buf = io.BytesIO()
    palette = Image.fromarray(rgb).quantize(64, method=Image.Quantize.FASTOCTREE)
    palette.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _uri(fig) -> str:
    fig.canvas.draw()
    return _png_uri(np.asarray(fig.canvas.buffer_rgba())[..., :3])


def _limits(values: Sequence[float], log: bool = False) -> tuple[float, float]:
    """Axis limits around ``values`` with 5% margins (in log space for a log axis).

    >>> _limits([1.0, 2.0]), _limits([3.0, 3.0])
    ((0.95, 2.05), (2.85, 3.15))
    >>> [round(x, 2) for x in _limits([10.0, 1000.0], log=True)]
    [7.94, 1258.93]
    """
    v = np.asarray([x for x in values if math.isfinite(x) and (x > 0 or not log)], dtype=float)
    if len(v) == 0:
        return (1.0, 10.0) if log else (0.0, 1.0)
    if log:
        lo, hi = _limits(np.log10(v).tolist())
        return 10.0**lo, 10.0**hi
    lo, hi = float(v.min()), float(v.max())
    pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1.0)
    return lo - pad, hi + pad


class _TaskCanvas:
    """One figure for every column with the same models, drawn once.

    What the columns share (model names, frames, titles) is drawn once and kept as pixels;
    for each column only its data, its axes' ticks and the Pareto labels are drawn onto a
    copy of those pixels (matplotlib's blitting), which skips re-drawing dozens of model
    names per column.
    """

    def __init__(self, models: Sequence[str]) -> None:
        from matplotlib.collections import LineCollection

        self.names = tuple(models)
        n = len(models)
        height = max(2.5, 0.16 * n + 1.0)
        self.fig = fig = _figure(10, height)
        self.ax, self.ax2 = ax, ax2 = fig.subplots(1, 2)
        fig.subplots_adjust(
            left=0.2, right=0.98, wspace=0.25, bottom=0.7 / height, top=1 - 0.35 / height
        )
        self.ys = np.arange(n)[::-1].astype(float)  # first model on top
        ax.set_yticks(self.ys, [m[:28] for m in models], fontsize=7)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_title("score, 95% CI", fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        ax2.set_xscale("log")
        ax2.set_xlabel("samples/s (log)")
        ax2.set_title("quality vs throughput (red: Pareto front)", fontsize=9)
        ax2.grid(alpha=0.3)
        blue, red = "#1f5fa8", "#c0392b"
        self.whiskers = ax.add_collection(LineCollection([], colors=blue))
        (self.caps,) = ax.plot([], [], "|", ms=6, color=blue)
        (self.points,) = ax.plot([], [], "o", ms=4, color=blue)
        self.cloud = ax2.scatter([], [], s=14, color="#888")
        (self.front,) = ax2.plot([], [], "-o", ms=4, color=red)
        self.moving = [ax.xaxis, ax2.xaxis, ax2.yaxis, self.whiskers, self.caps, self.points]
        self.moving += [self.cloud, self.front]
        for artist in self.moving:
            artist.set_animated(True)
        fig.canvas.draw()
        self.background = fig.canvas.copy_from_bbox(fig.bbox)

    def render(self, task: TaskBoard, rows: Sequence[dict]) -> str:
        """The column's plot as a PNG ``data:`` URI."""
        ax, ax2, ys = self.ax, self.ax2, self.ys
        scores = np.array([r["score"] for r in rows], dtype=float)
        lows = np.array([r["ci95_low"] if r["ci95_low"] is not None else r["score"] for r in rows])
        highs = np.array(
            [r["ci95_high"] if r["ci95_high"] is not None else r["score"] for r in rows]
        )
        self.whiskers.set_segments(
            [[(lo, y), (hi, y)] for lo, hi, y in zip(lows, highs, ys, strict=True)]
        )
        self.caps.set_data(np.concatenate([lows, highs]), np.concatenate([ys, ys]))
        self.points.set_data(scores, ys)
        ax.set_xlim(*_limits([*lows, *highs, *scores]))
        ax.set_xlabel(f"{task.key} ({'higher' if task.higher_is_better else 'lower'} is better)")
        pts = [
            (r["samples_per_s"], r["score"], m)
            for m, r in zip(self.names, rows, strict=True)
            if r["samples_per_s"] and r["samples_per_s"] > 0 and not math.isnan(r["score"])
        ]
        front = pareto_front([(p[0], p[1]) for p in pts], task.higher_is_better)
        self.cloud.set_offsets([(p[0], p[1]) for p in pts] or np.zeros((0, 2)))
        self.front.set_data([pts[i][0] for i in front], [pts[i][1] for i in front])
        ax2.set_xlim(*_limits([p[0] for p in pts], log=True))
        ax2.set_ylim(*_limits([p[1] for p in pts]))
        labels = [
            ax2.annotate(
                pts[i][2][:20],
                (pts[i][0], pts[i][1]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
                animated=True,
            )
            for i in _spread(front, MAX_LABELS)
        ]
        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        for artist in [*self.moving, *labels]:
            artist.axes.draw_artist(artist)
        for label in labels:
            label.remove()
        return _png_uri(np.asarray(canvas.buffer_rgba())[..., :3])


def _canvases(board: Board) -> dict[tuple[str, ...], _TaskCanvas]:
    """One figure per distinct set of models among the columns, drawn once
    (:class:`_TaskCanvas`)."""
    out: dict[tuple[str, ...], _TaskCanvas] = {}
    for task in board.tasks:
        models = tuple(m for m in board.models if m in task.rows)
        if models not in out:
            out[models] = _TaskCanvas(models)
    return out


def _draw(
    board: Board, canvases: dict[tuple[str, ...], _TaskCanvas], columns: Sequence[int]
) -> dict[str, str]:
    """The plots of ``board.tasks[i]`` for ``i`` in ``columns`` (by label), each drawn on
    the figure of its models."""
    out = {}
    for task in (board.tasks[i] for i in columns):
        models = tuple(m for m in board.models if m in task.rows)
        out[task.label] = canvases[models].render(task, [task.rows[m] for m in models])
    return out


#: Plotted points (columns x models) from which worker processes draw the task plots.
POOL_POINTS = 300
#: What a forked worker draws from (the board and its figures, set before the fork).
_SHARED: list[tuple[Board, dict[tuple[str, ...], _TaskCanvas]]] = []


def _draw_in_worker(columns: list[int]) -> dict[str, str]:
    return _draw(*_SHARED[0], columns)


def start_task_plots(board: Board, processes: int | None = None) -> Callable[[], dict[str, str]]:
    """Start drawing :func:`task_plots`; returns the function that waits for them.

    The figures' common parts are drawn here; with ``processes`` > 1 (default: the usable
    CPUs from :data:`POOL_POINTS` points on) forked worker processes, which inherit those
    figures, draw the columns (every other one each) while the caller does other work;
    otherwise they are drawn when waited for. The images are the same.
    """
    from mmbench.metrics.bootstrap import usable_cpus

    n = len(board.tasks)
    if processes is None:
        points = sum(len(t.rows) for t in board.tasks)
        processes = usable_cpus() if points >= POOL_POINTS else 1
    processes = min(processes, n)
    canvases = _canvases(board)
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return partial(_draw, board, canvases, range(n))
    _SHARED[:] = [(board, canvases)]
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))
    gc.freeze()  # the workers' collections skip what they inherit (no copy-on-write)
    try:
        futures = [
            pool.submit(_draw_in_worker, list(range(k, n, processes))) for k in range(processes)
        ]
    finally:
        gc.unfreeze()

    def wait() -> dict[str, str]:
        try:
            drawn = {}
            for future in futures:
                drawn.update(future.result())
        finally:
            pool.shutdown()
            _SHARED.clear()
        return {t.label: drawn[t.label] for t in board.tasks}

    return wait


def task_plots(board: Board, processes: int | None = None) -> dict[str, str]:
    """Per column (by label): scores with CI whiskers (left) and score vs samples/s with the
    Pareto front (right), as PNG ``data:`` URIs (``processes``: see
    :func:`start_task_plots`)."""
    return start_task_plots(board, processes)()


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


def sweep_plot(board: Board) -> str | None:
    """Samples/s (left) and p90 batch latency (right) against batch size, one line per
    ``mmbench profile`` sweep (None without sweeps); hollow markers: measured under
    contention."""
    if not board.sweeps:
        return None
    fig = _figure(10, 3.6)
    ax, ax2 = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, wspace=0.25, bottom=0.3, top=0.9)
    for k, sweep in enumerate(board.sweeps):
        pts = sorted(sweep["points"], key=lambda p: p["batch_size"])
        sizes = [p["batch_size"] for p in pts]
        colour = f"C{k % 10}"
        ax.plot(sizes, [p["samples_per_s"] for p in pts], "-", color=colour, label=sweep["label"])
        lat = [(p["batch_size"], 1000 * p["latency_p90_s"]) for p in pts if p["latency_p90_s"]]
        ax2.plot([x for x, _ in lat], [y for _, y in lat], "-", color=colour)
        for p in pts:
            face = "white" if p["contended"] else colour
            ax.plot(p["batch_size"], p["samples_per_s"], "o", ms=4, color=colour, mfc=face)
    for a, title in ((ax, "samples/s"), (ax2, "p90 batch latency (ms)")):
        a.set_xscale("log", base=2)
        a.set_yscale("log")
        a.set_xlabel("batch size")
        a.set_title(title, fontsize=9)
        a.grid(alpha=0.3)
    fig.legend(loc="lower center", ncol=3, fontsize=7, frameon=False)
    return _uri(fig)
