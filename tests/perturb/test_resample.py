"""The blur's fixed-point row shrink, binomial and enlarge: the C kernel and the numpy path give
the same bytes on any size and at every severity, the taps are what their docstrings say, and
bad input is refused."""

from __future__ import annotations

import numpy as np
import pytest

from mmbench.perturb import resample
from mmbench.perturb.definition import SEVERITIES, definition

kernels = pytest.importorskip(
    "mmbench.perturb._resample", reason="the C extension is not built (no C compiler at install)"
)

# (hs, ws) -> (h, w): 1-3 px, odd, tall, wide, exact multiples, the blur's 640 x 480 plan
SIZES = [
    ((1, 1), (1, 1)),
    ((1, 1), (3, 2)),
    ((2, 3), (17, 1)),
    ((3, 1), (40, 9)),
    ((2, 2), (3, 3)),
    ((5, 7), (5, 7)),
    ((7, 5), (33, 101)),
    ((1, 40), (2, 403)),
    ((60, 2), (611, 5)),
    ((17, 23), (170, 230)),
    ((68, 91), (480, 640)),
    ((13, 200), (129, 257)),  # > ONE output positions per input: fractions that round to ONE
    ((20, 30), (61, 95)),  # k ~ 3: the window path at 3 channels (the runs path at k ~ 7)
    ((201, 268), (480, 640)),  # the blur's plan at severity 1
]


@pytest.fixture(params=["avx2", "plain"])
def c_path(request):
    """Each test below twice: the kernel's AVX2 paths (where the CPU has them) and its plain
    loops."""
    before = kernels.use_avx2(request.param == "avx2")
    yield request.param
    kernels.use_avx2(before)


def _both(small: np.ndarray, h: int, w: int, monkeypatch: pytest.MonkeyPatch):
    c_out = resample.enlarge(small, h, w)
    with monkeypatch.context() as m:
        m.setattr(resample, "kernels", None)
        np_out = resample.enlarge(small, h, w)
    return c_out, np_out


def _both_shrinks(img: np.ndarray, n_out: int, monkeypatch: pytest.MonkeyPatch):
    c_out = resample.shrink_rows(img, n_out)
    with monkeypatch.context() as m:
        m.setattr(resample, "kernels", None)
        np_out = resample.shrink_rows(img, n_out)
    return c_out, np_out


# (h, w) -> n_out rows: 1-3 px, odd, tall, wide, the blur's plans at 640 x 480 (68, 201),
# rows shorter and longer than the vector path's 32 elements, identity (a weight of 128)
SHRINKS = [
    ((1, 1), 1),
    ((3, 2), 1),
    ((2, 5), 2),
    ((7, 5), 3),
    ((40, 9), 3),
    ((101, 67), 14),
    ((611, 5), 60),
    ((5, 403), 2),
    ((480, 640), 68),
    ((480, 640), 201),
    ((33, 10), 33),
    ((20, 3), 40),
]


@pytest.mark.parametrize(("size", "n_out"), SHRINKS)
@pytest.mark.parametrize("channels", [3, 1])
def test_row_shrink_kernel_and_numpy_give_the_same_bytes(
    size, n_out, channels, monkeypatch, c_path
):
    rng = np.random.default_rng(size[0] * 1000 + n_out)
    img = rng.integers(0, 256, (*size, channels), dtype=np.uint8)
    img[: size[0] // 2] = 255  # saturated rows: the int16 sums at their largest
    c_out, np_out = _both_shrinks(img, n_out, monkeypatch)
    assert c_out.shape == np_out.shape == (n_out, size[1], channels)
    assert c_out.dtype == np_out.dtype == np.uint8 and c_out.flags.c_contiguous
    np.testing.assert_array_equal(c_out, np_out)


@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (2, 1), (1, 9), (17, 23), (68, 91), (40, 53)])
@pytest.mark.parametrize("order", [2, 4])
def test_binomial_kernel_and_numpy_give_the_same_bytes(shape, order, monkeypatch, c_path):
    from mmbench.perturb.image import _binomial

    img = np.random.default_rng(shape[0] + order).integers(0, 256, (*shape, 3), dtype=np.uint8)
    img[0] = 255  # the uint16 sums at their largest
    c_out = _binomial(img, order)
    with monkeypatch.context() as m:
        m.setattr(resample, "kernels", None)
        np_out = _binomial(img, order)
    np.testing.assert_array_equal(c_out, np_out)
    with pytest.raises(ValueError, match="order"):
        kernels.binomial(img, 3, np.empty_like(img))


def test_shrink_taps_are_the_normalized_triangle():
    """Within a step (half a step on average) of torch's antialiased weights (a triangle as
    wide as the scale, cut at the edges, normalized), summing to exactly 128, inside the
    input."""
    for n_in, n_out in [(480, 68), (640, 91), (101, 14), (7, 3), (5, 5), (3, 7), (1, 1)]:
        start, w = resample.shrink_taps(n_in, n_out)
        assert np.all(w.sum(axis=1) == 1 << resample.SHRINK_BITS) and np.all(w >= 0)
        assert np.all(start >= 0) and np.all(start + w.shape[1] <= n_in)
        scale = n_in / n_out
        support = max(scale, 1.0)
        for i in range(n_out):
            j = start[i] + np.arange(w.shape[1])
            tri = np.maximum(0.0, 1 - np.abs((j + 0.5 - (i + 0.5) * scale) / support))
            tri /= tri.sum()
            err = np.abs(w[i] / (1 << resample.SHRINK_BITS) - tri)
            assert err.max() < 1 / 128 and err.mean() <= 0.5 / 128, (n_in, i)


def test_row_shrink_is_close_to_torchs_antialiased_resize():
    """The same filter as torch's ``antialias=True`` bilinear (the rows of version 4), to a
    grey level or two from the 7-bit weights; a filter off by one row would be off by more."""
    import torch

    from mmbench.perturb.image import _resize

    y = np.arange(480, dtype=np.float64)[:, None, None]
    img = (127.5 + 127.5 * np.sin(y / 9 + np.arange(64)[None, :, None] / 5)).astype(np.uint8)
    img = np.ascontiguousarray(np.broadcast_to(img, (480, 64, 3)))
    x = torch.from_numpy(img.reshape(1, 480, 64, 3).transpose(0, 3, 1, 2))
    ref = _resize(x, 68, 64).numpy()[0].transpose(1, 2, 0).astype(int)
    ours = resample.shrink_rows(img, 68).astype(int)
    assert np.abs(ours - ref).max() <= 2
    assert np.abs(resample.shrink_rows(img[1:], 68).astype(int) - ref).max() > 5


@pytest.mark.parametrize(("small", "size"), SIZES)
@pytest.mark.parametrize("channels", [3, 1, 4])
def test_kernel_and_numpy_give_the_same_bytes(small, size, channels, monkeypatch, c_path):
    rng = np.random.default_rng(small[0] * 1000 + size[1])
    img = rng.integers(0, 256, (*small, channels), dtype=np.uint8)
    img[0, 0] = 255  # the extremes: nothing may overflow int16
    img[-1, -1] = 0
    c_out, np_out = _both(img, *size, monkeypatch)
    assert c_out.shape == np_out.shape == (*size, channels)
    assert c_out.dtype == np_out.dtype == np.uint8 and c_out.flags.c_contiguous
    np.testing.assert_array_equal(c_out, np_out)


def test_extreme_values_keep_their_range(monkeypatch, c_path):
    """Black and white stripes: every blend stays in [0, 255] and the pure pixels are exact."""
    img = np.zeros((9, 11, 3), np.uint8)
    img[::2] = 255
    img[:, ::3] = 255 - img[:, ::3]
    c_out, np_out = _both(img, 100, 97, monkeypatch)
    np.testing.assert_array_equal(c_out, np_out)
    assert c_out.min() == 0 and c_out.max() == 255


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("shape", [(480, 640), (101, 67), (67, 101), (3, 2), (1, 1), (300, 7)])
def test_gaussian_blur_is_the_same_with_and_without_the_kernel(
    shape, severity, monkeypatch, c_path
):
    from mmbench.perturb.image import gaussian_blur

    img = np.random.default_rng(severity).integers(0, 256, (*shape, 3), dtype=np.uint8)
    sigma = definition("image:gaussian_blur").value_at(severity)
    rng = np.random.default_rng(0)
    with_kernel = gaussian_blur(img, sigma, rng)
    with monkeypatch.context() as m:
        m.setattr(resample, "kernels", None)
        without = gaussian_blur(img, sigma, rng)
    np.testing.assert_array_equal(with_kernel, without)


def test_taps_sample_the_align_corners_false_positions():
    """Weights within 1/256 of the float positions' fractions, clamped at both ends, in
    [0, ONE), and the pair a fraction rounding to ONE moved to is the same blend."""
    for n_in, n_out in [(1, 5), (2, 4), (68, 480), (91, 640), (7, 3), (200, 257)]:
        lo, hi, w = resample.taps(n_in, n_out)
        src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        value = lo + w / resample.ONE  # the position the taps blend to
        assert np.all(np.abs(value - src) <= 0.5 / resample.ONE + 1e-12), (n_in, n_out)
        assert np.all((w >= 0) & (w < resample.ONE))
        assert np.array_equal(hi, np.minimum(lo + 1, n_in - 1))
    assert resample.taps(2, 4)[2].tolist() == [0, 32, 96, 0]


def test_enlarge_matches_a_float_bilinear_to_a_grey_level():
    """Against float64 bilinear interpolation of the same positions, on noise (the worst
    case): each axis's weight is within 1/256 of its fraction (up to 255/256 of a level
    between neighbours 255 apart), plus the final rounding; a wrong position would be off by
    tens of levels."""
    rng = np.random.default_rng(3)
    small = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    h, w = 137, 211
    ys = np.clip((np.arange(h) + 0.5) * 20 / h - 0.5, 0, 19)
    xs = np.clip((np.arange(w) + 0.5) * 30 / w - 0.5, 0, 29)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, 19), np.minimum(x0 + 1, 29)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    f = small.astype(np.float64)
    ref = (f[y0][:, x0] * (1 - fx) + f[y0][:, x1] * fx) * (1 - fy) + (
        f[y1][:, x0] * (1 - fx) + f[y1][:, x1] * fx
    ) * fy  # [h, w, 3]
    err = np.abs(resample.enlarge(small, h, w) - ref)
    assert err.max() <= 0.5 + 2 * 255 / 256 + 1 / 256 and err.mean() < 0.6, (err.max(), err.mean())


def test_the_kernel_refuses_bad_input():
    small = np.zeros((4, 5, 3), np.uint8)
    cols, rows = resample.taps(5, 9), resample.taps(4, 8)
    out = np.empty((8, 9, 3), np.uint8)
    kernels.bilinear_enlarge(small, *cols, *rows, out)
    with pytest.raises(ValueError, match="shapes"):
        kernels.bilinear_enlarge(small, *cols, *rows, np.empty((8, 10, 3), np.uint8))
    bad = (np.array(cols[0]), np.array(cols[1]), np.array(cols[2]))
    bad[1][3] = 5  # past the last column
    with pytest.raises(ValueError, match="out of range"):
        kernels.bilinear_enlarge(small, *bad, *rows, out)
    heavy = (rows[0], rows[1], np.full(8, resample.ONE, np.int16))
    with pytest.raises(ValueError, match="out of range"):
        kernels.bilinear_enlarge(small, *cols, *heavy, out)
    with pytest.raises(ValueError, match="format"):
        kernels.bilinear_enlarge(small.astype(np.int16), *cols, *rows, out)
    with pytest.raises(TypeError):
        kernels.bilinear_enlarge(small, *cols, *rows)


def test_the_shrink_kernel_refuses_bad_input():
    img = np.zeros((20, 5, 3), np.uint8)
    start, w = resample.shrink_taps(20, 4)
    out = np.empty((4, 5, 3), np.uint8)
    kernels.shrink_rows(img, start, w, out)
    with pytest.raises(ValueError, match="shapes"):
        kernels.shrink_rows(img, start, w, np.empty((4, 6, 3), np.uint8))
    late = np.array(start)
    late[-1] = 20 - w.shape[1] + 1  # its last tap past the last row
    with pytest.raises(ValueError, match="out of range"):
        kernels.shrink_rows(img, late, w, out)
    light = np.array(w)
    light[0, 0] -= 1  # no longer sums to 128
    with pytest.raises(ValueError, match="out of range"):
        kernels.shrink_rows(img, start, light, out)
    with pytest.raises(ValueError, match="format"):
        kernels.shrink_rows(img, start.astype(np.int64), w, out)
