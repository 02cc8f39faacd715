"""The task plots' own ticks, texts and pixels (matplotlib draws only frames and data)."""

from __future__ import annotations

import base64
import io
import math
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from mmbench.report.board import build_board
from mmbench.report.inputs import collect
from mmbench.report.plots import (
    _Ink,
    _log_ticks,
    _nice_ticks,
    _stamp,
    _TaskCanvas,
    _text_bitmap,
    pareto_front,
)


@pytest.mark.parametrize("seed", range(5))
def test_nice_ticks_are_the_smallest_nice_step_evenly_spaced_and_inside(seed):
    rng = np.random.default_rng(seed)
    for _ in range(200):
        lo = float(rng.uniform(-5, 5)) * 10.0 ** int(rng.integers(-3, 4))
        hi = lo + float(rng.uniform(0.01, 10)) * 10.0 ** int(rng.integers(-3, 4))
        bins = int(rng.integers(1, 10))
        ticks, labels = _nice_ticks(lo, hi, bins)
        span = hi - lo
        assert 2 <= len(ticks) <= max(bins + 1, 5)
        assert all(lo - 1e-9 * span <= t <= hi + 1e-9 * span for t in ticks)
        assert len(set(labels)) == len(labels)  # enough decimals to tell them apart
        values = [float(label.replace("−", "-")) for label in labels]
        assert values == pytest.approx(ticks)
        step = ticks[1] - ticks[0]
        assert np.allclose(np.diff(ticks), step, rtol=1e-6)
        exponent = math.floor(math.log10(step) + 1e-9)
        mantissa = round(step / 10.0**exponent, 6)
        larger = {1.0: 2.0, 2.0: 2.5, 2.5: 5.0, 5.0: 10.0}[mantissa] * 10.0**exponent
        smaller = {1.0: 0.5, 2.0: 1.0, 2.5: 2.0, 5.0: 2.5}[mantissa] * 10.0**exponent
        if step >= span / bins * (1 - 1e-9):  # the smallest nice step of at least span / bins
            assert smaller < span / bins
        else:  # that step gave fewer than two ticks: the largest smaller one that gives two
            assert math.floor(hi / larger + 1e-9) - math.ceil(lo / larger - 1e-9) < 1


def test_log_ticks_label_powers_of_ten_or_fall_back_to_values():
    major, labels, minor = _log_ticks(math.log10(95), math.log10(12_000), 7)
    assert major == [2, 3, 4] and labels == ["10²", "10³", "10⁴"]
    assert [round(10**m) for m in minor[:2]] == [200, 300] and len(minor) == 8 + 8
    major, labels, minor = _log_ticks(math.log10(0.05), math.log10(0.5), 7)
    assert minor == [] and all(math.log10(0.05) <= m <= math.log10(0.5) for m in major)
    assert [float(x) for x in labels] == pytest.approx([10**m for m in major])


def test_stamp_blends_text_inside_its_box_and_clips_at_the_edges():
    cover, descent = _text_bitmap("0.25", 10)
    h, w = cover.shape
    assert cover.max() > 200 and 0 <= descent < h
    pixels = np.full((40, 60, 3), 255, dtype=np.uint8)
    _stamp(pixels, "0.25", 30, 20, "center", "center", colour=(200, 0, 0))
    inked = np.argwhere(pixels.min(axis=2) < 255)
    top, left = round(20 - h / 2), round(30 - w / 2)
    assert len(inked) > 0
    assert inked[:, 0].min() >= top and inked[:, 0].max() < top + h
    assert inked[:, 1].min() >= left and inked[:, 1].max() < left + w
    assert (pixels[..., 0] >= 200).all() and (pixels[..., 1] == pixels[..., 2]).all()  # red ink
    clipped = np.full((40, 60, 3), 255, dtype=np.uint8)
    _stamp(clipped, "0.25", 55, 35, "left", "top")  # mostly off the image
    inked = np.argwhere(clipped.min(axis=2) < 255)
    assert len(inked) > 0 and inked[:, 0].min() >= 35 and inked[:, 1].min() >= 55
    untouched = np.full((40, 60, 3), 255, dtype=np.uint8)
    _stamp(untouched, "0.25", 500, -100)
    _stamp(untouched, "0.25", -w - 1, 10)
    assert (untouched == 255).all()


def _decode(uri: str) -> np.ndarray:
    """A PNG ``data:`` URI's pixels ``[H, W, 3]``."""
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("RGB"))


def _colour_near(rgb: np.ndarray, colour: str, tolerance: int = 40) -> np.ndarray:
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)])
    return np.abs(rgb.astype(int) - target).max(axis=-1) <= tolerance  # [H, W]


def test_a_column_plot_shows_names_ticks_whiskers_and_front(board_dir):
    board = build_board(collect([board_dir]), n_resamples=100)
    task = board.tasks[0]
    models = [m for m in board.models if m in task.rows]
    canvas = _TaskCanvas(models)
    uri = canvas.render(task, [task.rows[m] for m in models])
    rgb = _decode(uri)
    assert rgb.shape == (180, 720, 3)  # 10 x 2.5 inches at 72 dpi
    dark = rgb.max(axis=-1) < 100  # [H, W] text and ticks
    top, bottom, left, right = canvas.box
    top2, bottom2, left2, right2 = canvas.box2
    inked_rows = (rgb[top:bottom, : left - 4].min(axis=(1, 2)) < 128).astype(int)  # [rows]
    assert np.count_nonzero(np.diff(inked_rows) == 1) == 4  # the 4 names, one under another
    assert dark[bottom + 4 :, left:right].any() and dark[bottom2 + 4 :, left2:right2].any()
    assert dark[top2:bottom2, : left2 - 4].any()  # the right panel's score ticks
    assert _colour_near(rgb[top:bottom, left:right], "#1f5fa8").any()  # whiskers, points
    assert _colour_near(rgb[top2:bottom2, left2:right2], "#c0392b").any()  # Pareto front
    # another column redraws the moving parts on the same background; this one again is
    # the same image (nothing of the other column stays)
    other = board.tasks[1]
    assert [m for m in board.models if m in other.rows] == models
    assert canvas.render(other, [other.rows[m] for m in models]) != uri
    assert canvas.render(task, [task.rows[m] for m in models]) == uri


def test_missing_intervals_throughputs_and_scores_are_left_out_not_errors():
    """A model without a CI, one without throughput and one with a NaN score: the plot is
    drawn, with a whisker-less point for the first and no point for the NaN."""
    task = SimpleNamespace(key="acc", higher_is_better=True)
    rows = [
        {"score": 0.5, "ci95_low": 0.4, "ci95_high": 0.6, "samples_per_s": 10.0},
        {"score": 0.7, "ci95_low": None, "ci95_high": None, "samples_per_s": None},
        {"score": math.nan, "ci95_low": None, "ci95_high": None, "samples_per_s": 5.0},
    ]
    canvas = _TaskCanvas(["a", "b", "c"])
    rgb = _decode(canvas.render(task, rows))
    top, bottom, left, right = canvas.box
    blue_rows = np.nonzero(_colour_near(rgb[top:bottom, left:right], "#1f5fa8").any(axis=1))[0]
    thirds = set((blue_rows * 3 // (bottom - top)).tolist())
    assert thirds == {0, 1}  # models a and b (top two thirds), nothing for c
    assert _TaskCanvas([]).render(task, []).startswith("data:image/png;base64,")


def test_pareto_front_is_the_pairwise_definition_with_ties_and_nan():
    rng = np.random.default_rng(0)
    for _ in range(500):
        n = int(rng.integers(0, 12))
        xs = rng.choice([1.0, 2.0, 3.0, 0.5, math.nan], n)  # ties and NaN on purpose
        ys = rng.choice([0.5, 0.7, 0.25, math.nan], n)
        points = list(zip(xs.tolist(), ys.tolist(), strict=True))
        for higher in (True, False):
            sign = 1.0 if higher else -1.0
            expected = [
                i
                for i, (x, y) in enumerate(points)
                if not any(
                    x2 >= x and sign * y2 >= sign * y and (x2 > x or sign * y2 > sign * y)
                    for j, (x2, y2) in enumerate(points)
                    if j != i
                )
            ]
            assert pareto_front(points, higher) == sorted(expected, key=lambda i: points[i][0])


def test_ink_covers_polylines_rectangles_and_discs_where_they_are():
    ink = _Ink((0, 29, 0, 39))  # rows 0-29, columns 0-39
    ink.polyline(np.array([2.5, 15.5, 15.5]), np.array([10.5, 10.5, 25.5]), 1.0)
    cover = ink.cover
    assert (cover[10, 3:15] == 1).all() and cover[[9, 11], 3:15].max() == 0  # 1 px wide
    assert (cover[11:25, 15] == 1).all() and cover[11:25, [14, 16]].max() == 0  # the turn
    assert cover[:, 20:].max() == 0 and cover[27:].max() == 0
    diagonal = _Ink((0, 29, 0, 39))
    diagonal.polyline(np.array([1.0, 38.0]), np.array([1.0, 28.0]), 1.5)
    assert (diagonal.cover[:, 2:37].max(axis=0) > 0.5).all()  # no gaps along the path
    shapes = _Ink((0, 29, 0, 39))
    shapes.rects(np.array([30.25]), np.array([32.75]), np.array([2.0]), np.array([3.0]))
    assert shapes.cover[2, 30:33].tolist() == [0.75, 1.0, 0.75] and shapes.cover[[1, 3]].max() == 0
    shapes.discs(np.array([10.0]), np.array([20.5]), 5.0)
    assert shapes.cover[19:21, 9:11].min() == 1 and shapes.cover[20, 14] == 0
    assert shapes.cover[20, 7] == pytest.approx(0.5)  # the edge, antialiased
    pixels = np.full((30, 40, 3), 255, dtype=np.uint8)
    shapes.onto(pixels, (0, 0, 255))
    assert pixels[20, 10].tolist() == [0, 0, 255] and pixels[0, 0].tolist() == [255] * 3
    assert pixels[20, 7].tolist() == [128, 128, 255]  # half covered: halfway to the colour
