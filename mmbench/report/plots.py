"""Plots for the page, as ``data:`` URIs (PNG) so the HTML stays one self-contained file.

Per column: the headline scores with their 95% CI whiskers, and quality against throughput
with the Pareto front (the models no other model beats on both). Across tasks: the shipped
reference fusion models (``ref-<fusion>``) side by side. The per-column plots are drawn with
numpy and Pillow (:class:`_TaskCanvas`: no matplotlib import); the others with matplotlib's
object API (no pyplot state) and the Agg canvas.

>>> pareto_front([(1.0, 0.5), (2.0, 0.4), (0.5, 0.6), (1.5, 0.3)], higher_is_better=True)
[2, 0, 1]
"""

from __future__ import annotations

import base64
import io
import math
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from functools import cache, partial
from pathlib import Path

import numpy as np

from mmbench.report.board import Board, TaskBoard
from mmbench.report.inputs import gc_frozen

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
    xy = np.asarray(points, dtype=float).reshape(-1, 2)  # [n, 2]
    x, y = xy[:, 0], xy[:, 1] * (1.0 if higher_is_better else -1.0)
    # [i, j]: point j is at least as good as point i on both, and better on one
    at_least = (x[None, :] >= x[:, None]) & (y[None, :] >= y[:, None])
    better = (x[None, :] > x[:, None]) | (y[None, :] > y[:, None])
    front = np.flatnonzero(~(at_least & better).any(axis=1)).tolist()
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


#: Text sizes (points, pixels at :data:`DPI`): tick and axis labels; titles; model names.
TEXT_SIZE, TITLE_SIZE, NAME_SIZE = 10, 9, 7
#: Tick lengths and the gap to their labels (pixels), as matplotlib's defaults; how far
#: below a frame an axis label's baseline is, and above it a title's.
TICK, MINOR_TICK, TICK_PAD, LABEL_DROP, TITLE_PAD = 4, 2, 4, 30, 6
Colour = tuple[int, int, int]
_BLACK, _BLUE, _RED, _GREY = (0, 0, 0), (31, 95, 168), (192, 57, 43), (136, 136, 136)
#: Grid lines: matplotlib's grid colour at 30% on white.
_GRID = (231, 231, 231)
#: What :func:`_text_bitmap` rendered in this process, by (text, size).
_TEXTS: dict[tuple[str, int], tuple[np.ndarray, int]] = {}


@cache
def _font(size: int):  # -> PIL.ImageFont.FreeTypeFont
    """DejaVu Sans (matplotlib's default font, from its package data, without importing
    matplotlib) at ``size`` pixels."""
    from importlib.util import find_spec

    from PIL import ImageFont

    spec = find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("the plots need matplotlib (its DejaVu Sans font)")
    folder = Path(spec.submodule_search_locations[0], "mpl-data", "fonts", "ttf")
    return ImageFont.truetype(str(folder / "DejaVuSans.ttf"), size)


def _text_bitmap(text: str, size: int) -> tuple[np.ndarray, int]:
    """``text`` in DejaVu Sans at ``size`` pixels: its coverage ``[h, w]`` uint8 and how many
    of its rows lie below the baseline. Rendered once per process and text."""
    key = (text, size)
    if key not in _TEXTS:
        from PIL import Image, ImageDraw

        font = _font(size)
        left, top, right, bottom = font.getbbox(text)
        image = Image.new("L", (max(right - left, 1), max(bottom - top, 1)))
        ImageDraw.Draw(image).text((-left, -top), text, fill=255, font=font)
        ascent = font.getmetrics()[0]  # the baseline, from the text's origin
        _TEXTS[key] = np.asarray(image), bottom - ascent
    return _TEXTS[key]


def _blend(pixels: np.ndarray, r0: int, c0: int, cover: np.ndarray, colour: Colour) -> None:
    """Blend ``colour`` with coverage ``cover`` ``[h, w]`` (uint8) onto ``pixels``
    ``[H, W, 3]`` from row ``r0``, column ``c0``; clipped to the image."""
    h, w = cover.shape
    top, left = max(r0, 0), max(c0, 0)
    bottom, right = min(r0 + h, pixels.shape[0]), min(c0 + w, pixels.shape[1])
    if top >= bottom or left >= right:
        return
    alpha = cover[top - r0 : bottom - r0, left - c0 : right - c0, None] / np.float32(255)
    region = pixels[top:bottom, left:right]  # [h, w, 3]
    ink = np.asarray(colour, dtype=np.float32)
    region[:] = region + alpha * (ink - region) + np.float32(0.5)


def _stamp(
    pixels: np.ndarray,
    text: str,
    x: float,
    y: float,
    ha: str = "left",
    va: str = "baseline",
    size: int = TEXT_SIZE,
    colour: Colour = _BLACK,
) -> None:
    """Blend ``text`` onto ``pixels`` ``[H, W, 3]`` (RGB, row 0 on top) at column ``x``, row
    ``y``: ``ha`` left/center/right, ``va`` top/center/baseline of its ink; clipped to the
    image."""
    cover, descent = _text_bitmap(text, size)
    h, w = cover.shape
    left = round(x - {"left": 0.0, "center": w / 2, "right": w}[ha])
    top = round(y - {"top": 0.0, "center": h / 2, "baseline": h - descent}[va])
    _blend(pixels, top, left, cover, colour)


class _Ink:
    """One colour's coverage ``[h, w]`` (in [0, 1]) of the part of an image inside ``clip``
    (first and last row, first and last column): the shapes drawn take the maximum of
    their coverages, and :meth:`onto` blends them onto the image at once."""

    def __init__(self, clip: tuple[int, int, int, int]) -> None:
        self.r0, r1, self.c0, c1 = clip
        self.cover = np.zeros((r1 - self.r0 + 1, c1 - self.c0 + 1), dtype=np.float32)

    def _add(self, r0: np.ndarray, c0: np.ndarray, cover: np.ndarray) -> None:
        """Take the maximum with the windows ``cover`` ``[n, h, w]`` whose top left pixels
        are at rows ``r0``, columns ``c0`` ``[n]`` of the image, clipped."""
        n, h, w = cover.shape
        rows = r0[:, None, None] - self.r0 + np.arange(h)[None, :, None]  # [n, h, 1]
        cols = c0[:, None, None] - self.c0 + np.arange(w)[None, None, :]  # [n, 1, w]
        rows, cols = np.broadcast_arrays(rows, cols)  # [n, h, w] each
        height, width = self.cover.shape
        keep = (cover > 0) & (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        np.maximum.at(self.cover, (rows[keep], cols[keep]), cover[keep])

    def rects(self, x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> None:
        """Axis-aligned rectangles ``[n]`` (x: columns, y: rows, in pixels), each pixel covered
        by the part of its area inside them."""
        c0, r0 = np.floor(x0).astype(int), np.floor(y0).astype(int)  # [n]
        w = int((np.ceil(x1) - c0).max(initial=1))
        h = int((np.ceil(y1) - r0).max(initial=1))
        cols = (c0[:, None] + np.arange(w)[None, :]).astype(np.float32)  # [n, w]
        rows = (r0[:, None] + np.arange(h)[None, :]).astype(np.float32)  # [n, h]
        across = np.minimum(cols + 1, x1[:, None]) - np.maximum(cols, x0[:, None])  # [n, w]
        down = np.minimum(rows + 1, y1[:, None]) - np.maximum(rows, y0[:, None])  # [n, h]
        cover = np.clip(down, 0, 1)[:, :, None] * np.clip(across, 0, 1)[:, None, :]
        self._add(r0, c0, cover.astype(np.float32))

    #: Longest piece (pixels) a polyline's segments are cut into, so that every piece's
    #: coverage fits one small window (:meth:`polyline`).
    PIECE = 4.0

    def polyline(self, xs: np.ndarray, ys: np.ndarray, width: float) -> None:
        """Lines ``width`` pixels wide through the points ``xs``, ``ys`` ``[n]`` (columns,
        rows) in order, antialiased: each pixel is covered by how far its centre lies within
        ``width / 2`` (+ half a pixel) of the path. The segments are cut into pieces of at most
        :attr:`PIECE` pixels, all drawn at once (the path's distance is the least of its
        pieces')."""
        points = np.stack([xs, ys], axis=1).astype(float)  # [n, 2]
        starts, steps = points[:-1], np.diff(points, axis=0)  # [n - 1, 2] each
        pieces = np.maximum(1, np.ceil(np.hypot(*steps.T) / self.PIECE)).astype(int)  # [n - 1]
        segment = np.repeat(np.arange(len(pieces)), pieces)  # [m]: each piece's segment
        k = np.arange(len(segment)) - np.repeat(np.cumsum(pieces) - pieces, pieces)  # [m]
        step = steps[segment] / pieces[segment, None]  # [m, 2]
        a = starts[segment] + k[:, None] * step  # [m, 2]: each piece's start
        reach = width / 2 + 0.5
        c0 = np.floor(np.minimum(a[:, 0], a[:, 0] + step[:, 0]) - reach).astype(int)  # [m]
        r0 = np.floor(np.minimum(a[:, 1], a[:, 1] + step[:, 1]) - reach).astype(int)  # [m]
        centres = np.arange(math.ceil(self.PIECE + 2 * reach) + 1) + 0.5  # from c0, r0
        x = (c0 - a[:, 0])[:, None, None] + centres[None, None, :]  # [m, 1, k] from a
        y = (r0 - a[:, 1])[:, None, None] + centres[None, :, None]  # [m, k, 1]
        dx, dy = step[:, 0, None, None], step[:, 1, None, None]  # [m, 1, 1]
        length2 = np.maximum(dx * dx + dy * dy, 1e-12)
        t = np.clip((x * dx + y * dy) / length2, 0, 1)  # [m, k, k]
        distance = np.hypot(x - t * dx, y - t * dy)  # to the piece
        self._add(r0, c0, np.clip(reach - distance, 0, 1).astype(np.float32))

    def discs(self, xs: np.ndarray, ys: np.ndarray, diameter: float) -> None:
        """Filled circles ``diameter`` pixels across centred on ``xs``, ``ys`` ``[n]``,
        antialiased."""
        reach = diameter / 2 + 0.5
        c0, r0 = np.floor(xs - reach).astype(int), np.floor(ys - reach).astype(int)  # [n]
        offsets = np.arange(math.ceil(2 * reach) + 1) + 0.5  # pixel centres from c0, r0
        dx = (c0 - xs)[:, None, None] + offsets[None, None, :]  # [n, 1, k]
        dy = (r0 - ys)[:, None, None] + offsets[None, :, None]  # [n, k, 1]
        self._add(r0, c0, np.clip(reach - np.hypot(dx, dy), 0, 1).astype(np.float32))

    def onto(self, pixels: np.ndarray, colour: Colour) -> None:
        """Blend the colour with this coverage onto ``pixels`` ``[H, W, 3]``."""
        rows, cols = np.nonzero(self.cover)  # [m] each
        alpha = self.cover[rows, cols][:, None]  # [m, 1]
        rows, cols = rows + self.r0, cols + self.c0
        before = pixels[rows, cols].astype(np.float32)  # [m, 3]
        ink = np.asarray(colour, dtype=np.float32)
        pixels[rows, cols] = before + alpha * (ink - before) + np.float32(0.5)


def _scale(values: Sequence[float], lo: float, hi: float, start: float, end: float) -> np.ndarray:
    """Data ``values`` on an axis from ``lo`` to ``hi`` as pixel positions ``[n]`` (float)
    from ``start`` to ``end`` (either may be the larger)."""
    v = np.asarray(values, dtype=float)
    return start + (v - lo) * ((end - start) / (hi - lo))


class _TaskCanvas:
    """The plots of every column with the same models: what they share drawn once.

    Drawn with numpy (no matplotlib, whose tick machinery and text layout were most of a
    column's time, and whose import took longer than all the plots now do): the frames,
    titles and model names are drawn once and kept; per column, on a copy of them, the grid
    lines, the data (antialiased rectangles, lines and discs, :class:`_Ink`), the ticks and
    their labels, the axis labels and the Pareto labels. The tick values are computed here
    (:func:`_nice_ticks`, :func:`_log_ticks`: the throughput is drawn on a linear axis of
    its log10), and the texts are rendered once per process (:func:`_text_bitmap`,
    matplotlib's font) and blended in. The layout is that of a matplotlib figure 10 inches
    wide at :data:`DPI`, two panels side by side.
    """

    def __init__(self, models: Sequence[str]) -> None:
        self.names = tuple(models)
        n = len(models)
        inches = max(2.5, 0.16 * n + 1.0)
        width, height = 10 * DPI, round(inches * DPI)
        # the panels (matplotlib's subplots_adjust(left=0.2, right=0.98, wspace=0.25)):
        # top and bottom rows, left and right columns of their frames, in pixels
        top, bottom = round(0.35 * DPI), height - 1 - round(0.7 * DPI)
        panel = 0.78 * width / 2.25
        self.box = (top, bottom, round(0.2 * width), round(0.2 * width + panel))
        self.box2 = (top, bottom, round(0.98 * width - panel), round(0.98 * width))
        self.pixels = pixels = np.full((height, width, 3), 255, dtype=np.uint8)  # [H, W, 3]
        titles = ("score, 95% CI", "quality vs throughput (red: Pareto front)")
        for (t, b, left, right), title in zip((self.box, self.box2), titles, strict=True):
            pixels[[t, b], left : right + 1] = 0
            pixels[t : b + 1, [left, right]] = 0
            centre = (left + right) / 2
            _stamp(pixels, title, centre, t - TITLE_PAD, "center", "baseline", TITLE_SIZE)
        self.ys = _scale(np.arange(n)[::-1], -0.7, n - 0.3, bottom, top)  # first model on top
        left = self.box[2]
        for name, y in zip(models, self.ys.tolist(), strict=True):
            pixels[math.floor(y), left - TICK : left] = 0
            _stamp(pixels, name[:28], left - TICK - TICK_PAD, y, "right", "center", NAME_SIZE)
        self.background = pixels.copy()

    def _x_axis(
        self,
        box: tuple[int, int, int, int],
        limits: tuple[float, float],
        ticks: tuple[list[float], list[str], list[float]],
        label: str,
    ) -> None:
        """Grid lines, ticks and labels of a panel's x axis, and its label."""
        top, bottom, left, right = box
        major, labels, minor = ticks
        pixels = self.pixels
        for x, text in zip(_scale(major, *limits, left, right).tolist(), labels, strict=True):
            col = min(math.floor(x), right)
            pixels[top + 1 : bottom, col] = _GRID
            pixels[bottom : bottom + TICK, col] = 0
            _stamp(pixels, text, x, bottom + TICK + TICK_PAD, "center", "top")
        for x in _scale(minor, *limits, left, right).tolist():
            pixels[bottom : bottom + MINOR_TICK, min(math.floor(x), right)] = 0
        _stamp(pixels, label, (left + right) / 2, bottom + LABEL_DROP, "center", "baseline")

    def render(self, task: TaskBoard, rows: Sequence[dict]) -> str:
        """The column's plot as a PNG ``data:`` URI."""
        pixels, ys = self.pixels, self.ys
        scores = np.array([r["score"] for r in rows], dtype=float)
        lows = np.array([r["ci95_low"] if r["ci95_low"] is not None else r["score"] for r in rows])
        highs = np.array(
            [r["ci95_high"] if r["ci95_high"] is not None else r["score"] for r in rows]
        )
        xlim = _limits([*lows, *highs, *scores])
        pts = [
            (math.log10(r["samples_per_s"]), r["score"], m)
            for m, r in zip(self.names, rows, strict=True)
            if r["samples_per_s"] and r["samples_per_s"] > 0 and not math.isnan(r["score"])
        ]
        front = pareto_front([(p[0], p[1]) for p in pts], task.higher_is_better)
        xlim2, ylim2 = _limits([p[0] for p in pts]), _limits([p[1] for p in pts])

        np.copyto(pixels, self.background)
        top, bottom, left, right = self.box2
        y_ticks, y_labels = _nice_ticks(*ylim2, min(max(1, (bottom - top) // 20), 9))
        for y, text in zip(_scale(y_ticks, *ylim2, bottom, top).tolist(), y_labels, strict=True):
            row = max(math.floor(y), top)
            pixels[row, left + 1 : right] = _GRID
            pixels[row, left - TICK : left] = 0
            _stamp(pixels, text, left - TICK - TICK_PAD, y, "right", "center")
        x_bins = min(max(1, (right - left) // 30), 9)  # either panel's (same widths)
        better = "higher" if task.higher_is_better else "lower"
        key = f"{task.key} ({better} is better)"
        self._x_axis(self.box, xlim, (*_nice_ticks(*xlim, x_bins), []), key)
        self._x_axis(self.box2, xlim2, _log_ticks(*xlim2, x_bins), "samples/s (log)")

        t, b, l1, r1 = self.box  # the data, over the grid lines, inside the frames
        blue = _Ink((t + 1, b - 1, l1 + 1, r1 - 1))
        x_lows, x_highs, x_scores = (_scale(v, *xlim, l1, r1) for v in (lows, highs, scores))
        shown = np.isfinite(x_lows + x_highs + x_scores)  # [n] (no NaN score)
        x_lows, x_highs, x_scores = x_lows[shown], x_highs[shown], x_scores[shown]
        y_shown = ys[shown]
        blue.rects(x_lows, x_highs, y_shown - 0.75, y_shown + 0.75)  # whiskers, 1.5 px
        caps = np.concatenate([x_lows, x_highs])  # [2n]
        y_caps = np.concatenate([y_shown, y_shown])
        blue.rects(caps - 0.5, caps + 0.5, y_caps - 3, y_caps + 3)  # 1 x 6 px
        blue.discs(x_scores, y_shown, 5.0)
        blue.onto(pixels, _BLUE)
        inside = (top + 1, bottom - 1, left + 1, right - 1)
        grey, red = _Ink(inside), _Ink(inside)
        xs = _scale([p[0] for p in pts], *xlim2, left, right)
        ys2 = _scale([p[1] for p in pts], *ylim2, bottom, top)
        grey.discs(xs, ys2, 4.7)
        red.polyline(xs[front], ys2[front], 1.5)
        red.discs(xs[front], ys2[front], 5.0)
        grey.onto(pixels, _GREY)
        red.onto(pixels, _RED)

        for i in _spread(front, MAX_LABELS):
            name = pts[i][2][:20]
            x, y = xs[i], ys2[i]
            if x + 3 + _text_bitmap(name, NAME_SIZE)[0].shape[1] <= pixels.shape[1]:
                _stamp(pixels, name, x + 3, y - 3, "left", "baseline", NAME_SIZE)
            else:  # left of the point at the image's edge
                _stamp(pixels, name, x - 3, y - 3, "right", "baseline", NAME_SIZE)
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
    each, on figures they set up themselves)
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
    with gc_frozen():  # the workers' collections skip what they inherit (no copy-on-write)
        futures = [
            pool.submit(_draw_in_worker, list(range(k, n, processes))) for k in range(processes)
        ]

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
