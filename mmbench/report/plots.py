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


def _png_uri(pixels: np.ndarray) -> str:
    """An RGB or RGBA image ``[H, W, 3 or 4]`` uint8 as a PNG ``data:`` URI of its colours,
    quantized to a 64-colour palette (a third of the bytes; plots have few colours)."""
    from PIL import Image

    buf = io.BytesIO()
    image = Image.fromarray(np.ascontiguousarray(pixels)).convert("RGB")
    image.quantize(64, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _uri(fig) -> str:
    fig.canvas.draw()
    return _png_uri(np.asarray(fig.canvas.buffer_rgba()))


def _limits(values: Sequence[float]) -> tuple[float, float]:
    """Axis limits around the finite ``values`` with 5% margins.

    >>> _limits([1.0, 2.0]), _limits([3.0, 3.0]), _limits([])
    ((0.95, 2.05), (2.85, 3.15), (0.0, 1.0))
    """
    v = np.asarray([x for x in values if math.isfinite(x)], dtype=float)
    if len(v) == 0:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1.0)
    return lo - pad, hi + pad


def _number(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals, a true minus sign and no negative zero.

    >>> _number(-0.001, 2), _number(-1.5, 1), _number(2.0, 0)
    ('0.00', '−1.5', '2')
    """
    text = f"{value:.{decimals}f}"
    return "0" + text[2:] if text.startswith("-") and float(text) == 0 else text.replace("-", "−")


def _nice_ticks(lo: float, hi: float, bins: int) -> tuple[list[float], list[str]]:
    """Ticks in ``[lo, hi]`` at the multiples of the smallest step 1, 2, 2.5 or 5 x 10^k
    that is at least ``(hi - lo) / bins``, or the largest smaller one that gives two ticks
    (matplotlib's ``MaxNLocator``), and their labels.

    >>> _nice_ticks(0.05, 0.9, 8)
    ([0.2, 0.4, 0.6, 0.8], ['0.2', '0.4', '0.6', '0.8'])
    >>> _nice_ticks(0.0, 1.0, 4)[1], _nice_ticks(10.0, 95.0, 4)[1], _nice_ticks(-1.1, 0.1, 2)[1]
    (['0.00', '0.25', '0.50', '0.75', '1.00'], ['25', '50', '75'], ['−1', '0'])
    >>> _nice_ticks(0.121, 0.129, 1)[1]
    ['0.1225', '0.1250', '0.1275']
    """
    least = (hi - lo) / bins
    low = math.floor(math.log10(least)) - 1
    steps = [(m, e) for e in (low, low + 1, low + 2) for m in (1.0, 2.0, 2.5, 5.0)]
    largest = next(k for k, (m, e) in enumerate(steps) if m * 10.0**e >= least)
    for mantissa, exponent in reversed(steps[: largest + 1]):
        step = mantissa * 10.0**exponent
        first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
        if last > first:
            break
    decimals = max(0, -exponent + (mantissa == 2.5))
    ticks = [round(k * step, decimals + 1) for k in range(first, last + 1)]
    return ticks, [_number(t, decimals) for t in ticks]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _log_ticks(lo: float, hi: float, bins: int) -> tuple[list[float], list[str], list[float]]:
    """Ticks of a log axis drawn as a linear one on log10 values ``[lo, hi]``: the powers of
    ten ("10³") with minor ticks at 2-9 x 10^k, or, spanning less than two powers, nice
    values in linear terms at their logarithms (no minor ticks).

    >>> major, labels, minor = _log_ticks(1.9, 3.7, 8)
    >>> major, labels, [round(10**m) for m in minor][:3], len(minor)
    ([2, 3], ['10²', '10³'], [80, 90, 200], 14)
    >>> _log_ticks(2.0, 2.5, 8)[1]
    ['100', '150', '200', '250', '300']
    """
    decades = range(math.ceil(lo), math.floor(hi) + 1)
    if len(decades) >= 2:
        minor = [
            k + math.log10(m)
            for k in range(math.floor(lo), math.floor(hi) + 1)
            for m in range(2, 10)
            if lo <= k + math.log10(m) <= hi
        ]
        return list(decades), [f"10{str(k).translate(_SUPERSCRIPT)}" for k in decades], minor
    values, labels = _nice_ticks(10.0**lo, 10.0**hi, bins)
    return [math.log10(v) for v in values], labels, []


#: Text sizes (points, pixels at :data:`DPI`): tick labels and axis labels; model names.
TEXT_SIZE, NAME_SIZE = 10.0, 7.0
#: Tick lengths and the gap to their labels (pixels), as matplotlib's defaults.
TICK, MINOR_TICK, TICK_PAD = 4, 2, 4
_BLACK = (0, 0, 0)
#: Grid lines: matplotlib's grid colour at 30% on white.
_GRID = (231, 231, 231)
#: What :func:`_text_bitmap` rendered in this process, by (text, size).
_TEXTS: dict[tuple[str, float], tuple[np.ndarray, int]] = {}


def _text_bitmap(text: str, size: float) -> tuple[np.ndarray, int]:
    """``text`` in matplotlib's default font (what the Agg backend draws) at ``size``
    points: its coverage ``[h, w]`` uint8 and how many of its rows lie below the baseline.
    Rendered once per process and text."""
    key = (text, size)
    if key not in _TEXTS:
        from matplotlib.backends.backend_agg import get_hinting_flag
        from matplotlib.font_manager import FontProperties, findfont, get_font

        font = get_font(findfont(FontProperties(size=size)))
        font.clear()
        font.set_size(size, DPI)
        font.set_text(text, 0.0, flags=get_hinting_flag())
        font.draw_glyphs_to_bitmap(antialiased=True)
        _TEXTS[key] = np.array(font.get_image(), dtype=np.uint8), round(font.get_descent() / 64)
    return _TEXTS[key]


def _stamp(
    pixels: np.ndarray,
    text: str,
    x: float,
    y: float,
    ha: str = "left",
    va: str = "baseline",
    size: float = TEXT_SIZE,
    colour: tuple[int, int, int] = _BLACK,
) -> None:
    """Blend ``text`` onto ``pixels`` ``[H, W, 4]`` (RGBA, row 0 on top) at column ``x``, row
    ``y``: ``ha`` left/center/right, ``va`` top/center/baseline of its ink; clipped to the
    image."""
    cover, descent = _text_bitmap(text, size)
    h, w = cover.shape
    left = round(x - {"left": 0.0, "center": w / 2, "right": w}[ha])
    top = round(y - {"top": 0.0, "center": h / 2, "baseline": h - descent}[va])
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, pixels.shape[0]), min(left + w, pixels.shape[1])
    if r0 >= r1 or c0 >= c1:
        return
    alpha = cover[r0 - top : r1 - top, c0 - left : c1 - left, None].astype(np.uint16)  # [h, w, 1]
    region = pixels[r0:r1, c0:c1, :3]  # [h, w, 3]
    ink = np.array(colour, dtype=np.uint16) * alpha  # [h, w, 3]
    region[:] = (region * (255 - alpha) + ink + 127) // 255


def _to_pixels(
    values: Sequence[float], lo: float, hi: float, start: float, end: float
) -> np.ndarray:
    """Data ``values`` on an axis from ``lo`` to ``hi`` as pixel positions from ``start`` to
    ``end`` (either may be the larger), as int indices ``[n]``."""
    v = np.asarray(values, dtype=float)
    return np.floor(start + (v - lo) * ((end - start) / (hi - lo))).astype(int)


class _TaskCanvas:
    """One figure for every column with the same models, drawn once.

    Matplotlib draws what the columns share (frames and titles) once, then the model names
    are blended in, and the pixels are kept. Per column, on a copy of them: the grid lines,
    matplotlib's data artists (blitting), then the ticks and their labels, the axis labels
    and the Pareto labels. The tick values are computed here (:func:`_nice_ticks`,
    :func:`_log_ticks`, the throughput on a linear axis of its log10), and the texts are
    rendered once per process (:func:`_text_bitmap`) and blended in with numpy: matplotlib's
    tick machinery and text layout were most of a column's time.
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
        for a in (ax, ax2):
            a.set_xticks([])
            a.set_yticks([])
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_title("score, 95% CI", fontsize=9)
        ax2.set_title("quality vs throughput (red: Pareto front)", fontsize=9)
        blue, red = "#1f5fa8", "#c0392b"
        self.whiskers = ax.add_collection(LineCollection([], colors=blue))
        (self.caps,) = ax.plot([], [], "|", ms=6, color=blue)
        (self.points,) = ax.plot([], [], "o", ms=4, color=blue)
        self.cloud = ax2.scatter([], [], s=14, color="#888")
        (self.front,) = ax2.plot([], [], "-o", ms=4, color=red)
        self.moving = [self.whiskers, self.caps, self.points, self.cloud, self.front]
        for artist in self.moving:
            artist.set_animated(True)
        fig.canvas.draw()
        #: The renderer's pixels ``[H, W, 4]`` (a view: blitted artists land in it).
        self.pixels = pixels = np.asarray(fig.canvas.buffer_rgba())
        # the axes' boxes in pixels: left, right columns, top, bottom rows
        rows = pixels.shape[0]
        self.box, self.box2 = (
            (round(b.x0), round(b.x1), round(rows - b.y1), round(rows - b.y0))
            for b in (ax.bbox, ax2.bbox)
        )
        left, _, top, bottom = self.box
        self.ys = np.arange(n)[::-1].astype(float)  # first model on top
        for name, row in zip(models, _to_pixels(self.ys, -0.7, n - 0.3, bottom, top), strict=True):
            pixels[row, left - TICK : left, :3] = 0
            _stamp(pixels, name[:28], left - TICK - TICK_PAD, row, "right", "center", NAME_SIZE)
        self.background = pixels.copy()

    def _x_axis(
        self,
        box: tuple[int, int, int, int],
        limits: tuple[float, float],
        ticks: tuple[list[float], list[str], list[float]],
        label: str,
    ) -> None:
        """Grid lines, ticks and labels of a panel's x axis, and its label."""
        left, right, top, bottom = box
        major, labels, minor = ticks
        pixels = self.pixels
        for col, text in zip(_to_pixels(major, *limits, left, right), labels, strict=True):
            pixels[top + 1 : bottom, col, :3] = _GRID
            pixels[bottom : bottom + TICK, col, :3] = 0
            _stamp(pixels, text, col, bottom + TICK + TICK_PAD, "center", "top")
        for col in _to_pixels(minor, *limits, left, right):
            pixels[bottom : bottom + MINOR_TICK, col, :3] = 0
        _stamp(pixels, label, (left + right) / 2, bottom + 30, "center", "baseline")

    def render(self, task: TaskBoard, rows: Sequence[dict]) -> str:
        """The column's plot as a PNG ``data:`` URI."""
        ax, ax2, ys, pixels = self.ax, self.ax2, self.ys, self.pixels
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
        xlim = _limits([*lows, *highs, *scores])
        ax.set_xlim(*xlim)
        pts = [
            (math.log10(r["samples_per_s"]), r["score"], m)
            for m, r in zip(self.names, rows, strict=True)
            if r["samples_per_s"] and r["samples_per_s"] > 0 and not math.isnan(r["score"])
        ]
        front = pareto_front([(p[0], p[1]) for p in pts], task.higher_is_better)
        self.cloud.set_offsets([(p[0], p[1]) for p in pts] or np.zeros((0, 2)))
        self.front.set_data([pts[i][0] for i in front], [pts[i][1] for i in front])
        xlim2, ylim2 = _limits([p[0] for p in pts]), _limits([p[1] for p in pts])
        ax2.set_xlim(*xlim2)
        ax2.set_ylim(*ylim2)

        np.copyto(pixels, self.background)
        left, right, top, bottom = self.box2
        y_ticks, y_labels = _nice_ticks(*ylim2, min(max(1, (bottom - top) // 20), 9))
        y_rows = _to_pixels(y_ticks, *ylim2, bottom, top)
        for row, text in zip(y_rows, y_labels, strict=True):
            pixels[row, left + 1 : right, :3] = _GRID
            pixels[row, left - TICK : left, :3] = 0
            _stamp(pixels, text, left - TICK - TICK_PAD, row, "right", "center")
        x_bins = min(max(1, (right - left) // 30), 9)  # either panel's (same widths)
        better = "higher" if task.higher_is_better else "lower"
        key = f"{task.key} ({better} is better)"
        self._x_axis(self.box, xlim, (*_nice_ticks(*xlim, x_bins), []), key)
        self._x_axis(self.box2, xlim2, _log_ticks(*xlim2, x_bins), "samples/s (log)")
        for artist in self.moving:  # the data, over the grid lines
            artist.axes.draw_artist(artist)
        labelled = _spread(front, MAX_LABELS)
        cols = _to_pixels([pts[i][0] for i in labelled], *xlim2, left, right)
        rows = _to_pixels([pts[i][1] for i in labelled], *ylim2, bottom, top)
        for i, col, row in zip(labelled, cols, rows, strict=True):
            name = pts[i][2][:20]
            width = _text_bitmap(name, NAME_SIZE)[0].shape[1]
            if col + 3 + width <= pixels.shape[1]:  # right of the point, or left at the edge
                _stamp(pixels, name, col + 3, row - 3, "left", "baseline", NAME_SIZE)
            else:
                _stamp(pixels, name, col - 3, row - 3, "right", "baseline", NAME_SIZE)
        return _png_uri(pixels)


def _draw(board: Board, columns: Sequence[int]) -> dict[str, str]:
    """The plots of ``board.tasks[i]`` for ``i`` in ``columns`` (by label), each drawn on
    the figure of its models (:class:`_TaskCanvas`, set up here once per model list)."""
    canvases: dict[tuple[str, ...], _TaskCanvas] = {}
    out = {}
    for task in (board.tasks[i] for i in columns):
        models = tuple(m for m in board.models if m in task.rows)
        if models not in canvases:
            canvases[models] = _TaskCanvas(models)
        out[task.label] = canvases[models].render(task, [task.rows[m] for m in models])
    return out


#: Plotted points (columns x models) from which a worker process draws the task plots.
POOL_POINTS = 300
#: What a forked worker draws from (the board, set before the fork).
_SHARED: list[Board] = []


def _draw_in_worker(columns: list[int]) -> dict[str, str]:
    return _draw(_SHARED[0], columns)


def start_task_plots(board: Board, processes: int | None = None) -> Callable[[], dict[str, str]]:
    """Start drawing :func:`task_plots`; returns the function that waits for them.

    ``processes`` forked worker processes draw the columns (every ``processes``-th one
    each, on figures they set up themselves, importing matplotlib if the caller has not)
    while the caller does other work; with 0 (or no ``fork``) the columns are drawn in the
    caller when waited for. The images are the same. Default: one worker from
    :data:`POOL_POINTS` points on with two or more usable CPUs, otherwise 0: the plots take
    less CPU time than what the caller does meanwhile (the other outputs and the page), so
    one worker takes them off the caller's path, and more would only cost more forks.
    """
    from mmbench.metrics.bootstrap import usable_cpus

    n = len(board.tasks)
    if processes is None:
        points = sum(len(t.rows) for t in board.tasks)
        processes = 1 if points >= POOL_POINTS and usable_cpus() > 1 else 0
    processes = min(processes, n)
    if processes == 0 or "fork" not in multiprocessing.get_all_start_methods():
        return partial(_draw, board, range(n))
    _SHARED[:] = [board]
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
