"""The blur's resampling of uint8 images in integer fixed point, with an optional C kernel.

``gaussian_blur`` (version 5) shrinks the rows of an image with :func:`shrink_rows` and
enlarges its small blurred image to the full size with :func:`enlarge`; no float touches a
pixel (the weights are computed once per size).

:func:`shrink_rows` is torch's antialiased bilinear filter (a triangle as wide as the scale,
cut at the edges, normalized; :func:`shrink_taps`) with weights of ``SHRINK_BITS`` = 7 bits
summing to 128: each output ``(sum of weight * pixel + 64) >> 7``, int16 sums.

:func:`enlarge` is bilinear with ``align_corners=False`` geometry (output position ``x``
samples the input at ``(x + 1/2) n_in / n_out - 1/2``, clamped to the first and last pixel),
the weight of the farther pixel quantized to ``FRAC_BITS`` = 7 bits (:func:`taps`, integers
only). The columns first, on the few small rows: each widened element is the exact
``a (ONE - w) + b w + ONE / 2`` (int16; the ``ONE / 2`` is the final rounding's). Then each
output row blends two widened rows ``a``, ``b`` with its weight ``v``:
``(a + (((b - a) v + ONE / 2) >> FRAC_BITS)) >> FRAC_BITS``, every intermediate within int16
(the inner shift is AVX2's ``vpmulhrsw``). As ``ONE a`` is a multiple of ``ONE`` that is
``(ONE a + (b - a) v + ONE / 2) >> 2 FRAC_BITS``: the exact two-axis bilinear sum rounded once
to uint8 (with ``2^13 + 2^6`` added before the shift, 1/256 of a level above half).

The optional extension ``mmbench.perturb._resample`` (compiled at install where a C compiler is
found) does this arithmetic in AVX2 where the CPU has it; the numpy path does the same integer
arithmetic, so both give the same bytes (tested): an install without a compiler perturbs
identically, about 13 times slower (the blur at severity 3 on 640 x 480: 5.4 ms against 0.4).
:data:`KERNEL` says which runs.

>>> import numpy as np
>>> small = np.array([[[0], [255]]], np.uint8)  # [1, 2, 1]: a black and a white pixel
>>> enlarge(small, 1, 4)[0, :, 0].tolist()  # positions -0.25 (clamped), 0.25, 0.75, 1.25
[0, 64, 191, 255]
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np

try:
    from mmbench.perturb import _resample as kernels
except ImportError:  # pragma: no cover - an install without a C compiler
    kernels = None

#: Fractional bits of a weight: 7, so that widened rows (``255 * 128 + 64``), their
#: differences and AVX2's ``vpmulhrsw`` of those by ``v << 8`` all fit int16.
FRAC_BITS = 7
ONE = 1 << FRAC_BITS
HALF = ONE // 2

#: Fractional bits of the row shrink's weights: 7, so that its sums fit int16 and AVX2's
#: ``vpmaddubsw`` multiplies pixels by weights directly; with 14 the blur's PSNR to the exact
#: filter was the same within 0.05 dB at every severity.
SHRINK_BITS = 7

if kernels is not None and (kernels.FRAC_BITS, kernels.SHRINK_BITS) != (FRAC_BITS, SHRINK_BITS):
    warnings.warn(  # pragma: no cover - a stale in-place build: its bytes would differ
        "mmbench.perturb._resample was built for other fixed-point widths; using numpy "
        "(rebuild: python setup.py build_ext --inplace)",
        RuntimeWarning,
        stacklevel=1,
    )
    kernels = None

#: ``"c"`` when the extension is built, else ``"numpy"``.
KERNEL = "numpy" if kernels is None else "c"

Taps = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Output rows the numpy enlarge sums at a time.
NUMPY_ROWS = 32


@cache
def taps(n_in: int, n_out: int) -> Taps:
    """The bilinear taps from ``n_in`` to ``n_out`` positions: ``lo``, ``hi`` (int32
    ``[n_out]``) and the weight of ``hi`` (int16 ``[n_out]``, in ``[0, ONE)``; ``lo`` takes
    ``ONE`` minus it), in integers: position ``x`` samples ``((2 x + 1) n_in - n_out) /
    (2 n_out)``, clamped to ``[0, n_in - 1]``, its fraction rounded half up to ``FRAC_BITS``
    bits; a fraction that rounds to ``ONE`` takes the next pair with weight 0 (the same
    value). ``hi = min(lo + 1, n_in - 1)``. Read-only (cached)."""
    x = np.arange(n_out, dtype=np.int64)
    num = np.clip((2 * x + 1) * n_in - n_out, 0, 2 * n_out * (n_in - 1))  # [n_out] / (2 n_out)
    lo, rem = np.divmod(num, 2 * n_out)  # [n_out]: the clamp makes rem 0 at lo = n_in - 1
    w = (rem * ONE + n_out) // (2 * n_out)  # [n_out] in [0, ONE]
    lo += w == ONE  # rem > 0 there, so lo + 1 <= n_in - 1
    w[w == ONE] = 0
    out = (
        lo.astype(np.int32),
        np.minimum(lo + 1, n_in - 1).astype(np.int32),
        w.astype(np.int16),
    )
    for a in out:
        a.flags.writeable = False
    return out


def enlarge(small: np.ndarray, h: int, w: int) -> np.ndarray:
    """``small`` ``[hs, ws, c]`` uint8 enlarged bilinearly to ``[h, w, c]`` uint8 (the module's
    fixed-point arithmetic; a new C-contiguous array)."""
    hs, ws, c = small.shape
    cols, rows = taps(ws, w), taps(hs, h)
    small = np.ascontiguousarray(small)
    if kernels is not None:
        out = np.empty((h, w, c), np.uint8)
        kernels.bilinear_enlarge(small, *cols, *rows, out)
        return out
    return _enlarge_numpy(small, cols, rows)


def _enlarge_numpy(small: np.ndarray, cols: Taps, rows: Taps) -> np.ndarray:
    """The C kernel's arithmetic in numpy: ``[h, w, c]`` uint8 from ``small [hs, ws, c]``.

    The row blend ``(a + (((b - a) v + HALF) >> FRAC_BITS)) >> FRAC_BITS`` equals
    ``(ONE a + (b - a) v + HALF) >> 2 FRAC_BITS`` (``ONE a`` is a multiple of ``ONE``), summed
    here in int32, ``NUMPY_ROWS`` output rows at a time (the temporaries stay in cache). The
    tables are :func:`taps`': ``hi`` is ``lo + 1``, or ``lo`` with weight 0."""
    lo, hi, wt = cols
    wt = wt[:, None]  # [w, 1]
    wide = small[:, lo] * (ONE - wt) + small[:, hi] * wt + np.int16(HALF)  # [hs, w, c] int16
    hs, w, c = wide.shape
    flat = wide.reshape(hs, w * c)  # [hs, n]
    base = flat.astype(np.int32)  # [hs, n]: ONE a + HALF
    base *= ONE
    base += HALF
    step = np.zeros_like(flat)  # [hs, n] int16: b - a for the pair (r, r + 1); 0 after the last
    np.subtract(flat[1:], flat[:-1], out=step[:-1])
    lo, _, wt = rows
    weight = wt.astype(np.int32)[:, None]  # [h, 1]
    h = lo.shape[0]
    out = np.empty((h, w * c), np.uint8)  # [h, n]
    acc = np.empty((min(h, NUMPY_ROWS), w * c), np.int32)  # [rows, n]
    prod, diff = np.empty_like(acc), np.empty(acc.shape, np.int16)
    for y in range(0, h, NUMPY_ROWS):
        at = lo[y : y + NUMPY_ROWS]
        m = at.shape[0]
        np.take(base, at, axis=0, out=acc[:m])
        np.take(step, at, axis=0, out=diff[:m])
        np.multiply(diff[:m], weight[y : y + m], out=prod[:m])
        acc[:m] += prod[:m]
        acc[:m] >>= 2 * FRAC_BITS
        out[y : y + m] = acc[:m]
    return out.reshape(h, w, c)


@cache
def shrink_taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """The antialiased (triangle) filter from ``n_in`` to ``n_out`` positions, as torch's
    ``antialias=True`` bilinear places it: output ``i`` centred on input ``(i + 1/2) n_in /
    n_out``, half-width ``max(n_in / n_out, 1)`` input pixels, cut at the edges and
    normalized. Returns ``start`` (int32 ``[n_out]``, ``start + taps <= n_in``) and the weights
    of inputs ``start .. start + taps - 1`` (int16 ``[n_out, taps]``, non-negative, each row
    quantized to ``SHRINK_BITS`` bits summing to exactly ``2^SHRINK_BITS``: rounded down, then
    one step more for the largest remainders; each within a step of its float). The weights
    come from float64 arithmetic (basic
    operations only: the same on every IEEE machine); the pixels never do. Read-only (cached).
    """
    scale = n_in / n_out
    support = max(scale, 1.0)
    centre = (np.arange(n_out) + 0.5) * scale  # [n_out]
    first = np.maximum((centre - support + 0.5).astype(np.int64), 0)  # [n_out]
    end = np.minimum((centre + support + 0.5).astype(np.int64), n_in)  # [n_out]
    taps = int((end - first).max())
    start = np.minimum(first, n_in - taps)  # [n_out]
    j = start[:, None] + np.arange(taps)  # [n_out, taps]
    w = np.maximum(0.0, 1.0 - np.abs((j - centre[:, None] + 0.5) / support))  # [n_out, taps]
    w[(j < first[:, None]) | (j >= end[:, None])] = 0.0
    w /= w.sum(axis=1, keepdims=True)
    scaled = w * (1 << SHRINK_BITS)  # [n_out, taps]
    q = np.floor(scaled).astype(np.int64)  # [n_out, taps]
    # the residue, one step each, to the largest fractions (the earlier tap of equal ones)
    order = np.argsort(q - scaled, axis=1, kind="stable")  # [n_out, taps]
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(taps), axis=1)
    q += rank < ((1 << SHRINK_BITS) - q.sum(axis=1))[:, None]
    out = start.astype(np.int32), q.astype(np.int16)
    for a in out:
        a.flags.writeable = False
    return out


def shrink_rows(img: np.ndarray, n_out: int) -> np.ndarray:
    """``img`` ``[h, w, c]`` uint8 shrunk to ``[n_out, w, c]`` uint8 along its rows by
    :func:`shrink_taps`' filter: each output element ``(sum of weight * input + 64) >> 7``
    (int16 sums, rounded once; a new C-contiguous array)."""
    h = img.shape[0]
    start, w = shrink_taps(h, n_out)
    img = np.ascontiguousarray(img)
    if kernels is not None:
        out = np.empty((n_out, *img.shape[1:]), np.uint8)
        kernels.shrink_rows(img, start, w, out)
        return out
    flat = img.reshape(h, -1)  # [h, w c]
    acc = np.full((n_out, flat.shape[1]), 1 << (SHRINK_BITS - 1), np.int16)  # [n_out, w c]
    for t in range(w.shape[1]):
        acc += flat[start + t] * w[:, t : t + 1]  # uint8 * int16: int16
    acc >>= SHRINK_BITS
    return acc.astype(np.uint8).reshape(n_out, *img.shape[1:])
