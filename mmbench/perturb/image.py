"""Image perturbations on RGB uint8 ``[H, W, 3]`` arrays (numpy, PIL; torch for the blur).

Severity tables are ImageNet-C's (Hendrycks & Dietterich, "Benchmarking Neural Network
Robustness to Common Corruptions and Perturbations", ICLR 2019; ``make_imagenet_c.py``) for
``gaussian_noise``, ``gaussian_blur``, ``jpeg``, ``brightness``, ``contrast`` and ``pixelate``.
ImageNet-C defines them on 224 x 224 crops; the one spatial parameter (the blur sigma, in
pixels) is scaled by ``min(H, W) / 224`` so that a severity means the same on any image size.
``occlusion`` (not in ImageNet-C) is a Cutout-style square patch (DeVries & Taylor, 2017).

>>> import numpy as np
>>> img = np.full((32, 48, 3), 128, np.uint8)
>>> out = gaussian_noise(img, 0.08, np.random.default_rng(0))
>>> out.shape, out.dtype, bool((out != img).any())
((32, 48, 3), dtype('uint8'), True)
"""

from __future__ import annotations

import io
import math
import threading
from functools import cache
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import torch

from mmbench.perturb import resample
from mmbench.perturb.definition import register
from mmbench.perturb.resample import enlarge, shrink_rows

if TYPE_CHECKING:
    from PIL import Image

IMAGENET_C = "ImageNet-C (Hendrycks & Dietterich, ICLR 2019)"
IMAGENET_C_SIZE = 224


#: Gaussian noise comes from one fixed table of standard normals per process (a window at a
#: random offset per sample): drawing 0.9 M normals per 640 x 480 image cost more than decoding
#: it. Within an image the values are i.i.d. N(0, 1); larger images draw afresh.
NOISE_TABLE_SIZE = 1 << 21

#: ``gaussian_blur`` blurs its shrunken image with ``[1, 2, 1] / 4`` up to this sigma (px at
#: 224 px) and with ``[1, 4, 6, 4, 1] / 16`` above it.
NARROW_SMALL_BLUR_MAX_SIGMA = 4.0


def _resize(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Bilinear resize of ``[1, 3, H, W]`` uint8 in channels-last memory (torch's fast uint8
    path; the result is channels last too), antialiased (a triangle filter) when it shrinks.

    The aten op ``F.interpolate(x, (h, w), mode="bilinear", antialias=True)`` ends in, called
    directly: ``F.interpolate``'s argument checks cost 7 us a call, a tenth of a resize here."""
    return torch._C._nn._upsample_bilinear2d_aa(x, (h, w), False, None)


def _binomial(a: np.ndarray, n: int) -> np.ndarray:
    """``[H, W, 3]`` uint8 blurred by the binomial of even order ``n`` (``[1, 1]`` ``n`` times,
    over ``2^n``: ``[1, 2, 1] / 4`` for 2, ``[1, 4, 6, 4, 1] / 16`` for 4; variance ``n / 4``)
    along both axes, edges repeated, in uint16 (``n <= 4``: at most ``256 * 255 + 128``) and
    rounded once.

    The C extension's kernel (``mmbench.perturb._resample.binomial``, where built) computes
    the same integers; without it, every ``[1, 1]`` runs over the flat padded buffer (one
    contiguous numpy call each, rows ``r`` apart, pixels 3 apart), so the values that wrap
    from one row into the next land in the padding columns and are dropped at the end.
    """
    if resample.kernels is not None:
        out = np.empty(a.shape, np.uint8)  # [H, W, 3]
        resample.kernels.binomial(np.ascontiguousarray(a), n, out)
        return out
    h, w = a.shape[:2]
    e = n // 2  # repeated pixels on each side
    c = 3 * w
    r = c + 6 * e  # a padded row
    p = np.empty((h + n, r), np.uint16)  # [H + n, 3 (W + n)], edges repeated
    rows = a.reshape(h, c)
    p[e : e + h, 3 * e : 3 * e + c] = rows
    p[:e, 3 * e : 3 * e + c], p[e + h :, 3 * e : 3 * e + c] = rows[0], rows[-1]
    px = p.reshape(h + n, w + n, 3)
    px[:, :e], px[:, e + w :] = px[:, e : e + 1], px[:, e + w - 1 : e + w]
    q = p.reshape(-1)  # [(H + n) r]
    for _ in range(n):
        q = q[:-r] + q[r:]  # [(H + n) r - r], ..., [H r]
    for _ in range(n - 1):
        q = q[:-3] + q[3:]  # [H r - 3], ..., [H r - 3 (n - 1)]
    out = np.empty(h * r, np.uint16)  # [H r]: pixel (y, x) at y r + 3 x + channel
    np.add(q[:-3], q[3:], out=out[: h * r - 3 * n])
    out += 1 << (2 * n - 1)
    out >>= 2 * n
    return out.reshape(h, r)[:, :c].astype(np.uint8).reshape(h, w, 3)


def _exact_gaussian(img: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur of ``[H, W, 3]`` uint8 (edges repeated, truncated at 4 sigma)."""
    from scipy.ndimage import gaussian_filter1d

    y = gaussian_filter1d(img, sigma, axis=0, mode="nearest", truncate=4.0, output=np.float32)
    y = gaussian_filter1d(y, sigma, axis=1, mode="nearest", truncate=4.0)
    return _to_uint8(y)


def _to_uint8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


@cache
def _noise_table() -> np.ndarray:
    return np.random.default_rng(0).standard_normal(NOISE_TABLE_SIZE, dtype=np.float32)


@cache
def _scaled_noise(sigma: float) -> np.ndarray:
    """The table times ``sigma * 255``, rounded to int16 (adding integer noise to integer
    pixels and rounding once is the same as rounding the sum)."""
    return np.rint(_noise_table() * np.float32(sigma * 255.0)).astype(np.int16)


def _channel_means(img: np.ndarray | Image.Image) -> np.ndarray:
    """Per-channel mean ``[3]`` (from PIL's C histogram: numpy's strided mean is ~10x slower)."""
    from PIL import Image, ImageStat

    pil = Image.fromarray(img) if isinstance(img, np.ndarray) else img
    return np.array(ImageStat.Stat(pil).mean)


def _lut(pil: Image.Image, table: np.ndarray) -> np.ndarray:
    """``table[c, img[..., c]]``: a 256-entry lookup per channel ``table [3, 256]`` (PIL)."""
    return np.asarray(pil.point(table.astype(np.uint8).reshape(-1).tolist()))


@register("image:gaussian_noise", "sigma", (0.08, 0.12, 0.18, 0.26, 0.38), "of [0, 1]", IMAGENET_C)
def gaussian_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Add i.i.d. Gaussian noise of standard deviation ``sigma`` (pixel values in [0, 1])."""
    n = img.size
    if n > NOISE_TABLE_SIZE // 2:
        noise = np.rint(rng.standard_normal(img.shape, dtype=np.float32) * (sigma * 255.0))
    else:
        start = int(rng.integers(0, NOISE_TABLE_SIZE - n + 1))
        noise = _scaled_noise(float(sigma))[start : start + n].reshape(img.shape)  # [H, W, 3]
    out = _int16_buffer(img.shape)  # reused: a fresh 1.8 MB temporary page-faults each time
    np.add(img, noise, out=out)
    np.clip(out, 0, 255, out=out)
    return out.astype(np.uint8)


_BUFFERS = threading.local()


def _int16_buffer(shape: tuple[int, ...]) -> np.ndarray:
    """An int16 scratch array of ``shape``, one per thread, reused while the shape stays."""
    buf = getattr(_BUFFERS, "int16", None)
    if buf is None or buf.shape != shape:
        buf = _BUFFERS.int16 = np.empty(shape, dtype=np.int16)
    return buf


class _BlurPlan(NamedTuple):
    """How ``gaussian_blur`` computes one blur (``benchmarks/bench_blur.py --split`` times it)."""

    s: float  # sigma in pixels of this image
    n: int  # order of the binomial at the small scale
    hs: int  # rows of the small image; 0: the exact filter at full size
    ws: int  # its columns


def _blur_plan(h: int, w: int, sigma: float) -> _BlurPlan:
    """The plan for an ``h`` x ``w`` image at ``sigma`` px at 224 px (see ``gaussian_blur``)."""
    s = sigma * min(h, w) / IMAGENET_C_SIZE
    n = 2 if sigma <= NARROW_SMALL_BLUR_MAX_SIGMA else 4
    k = math.sqrt((s * s + 1 / 6) / (1 / 3 + n / 4))  # s^2 = k^2 / 6 + k^2 n / 4 + (k^2 - 1) / 6
    if k < 1.5:
        return _BlurPlan(s, n, 0, 0)
    return _BlurPlan(s, n, max(1, round(h / k)), max(1, round(w / k)))


@register(
    "image:gaussian_blur",
    "sigma",
    (1, 2, 3, 4, 6),
    "px at 224 px",
    IMAGENET_C,
    version=5,
    seeded=False,
)
def gaussian_blur(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur of standard deviation ``sigma`` pixels at 224 px, scaled to the image.

    With ``s`` the scaled sigma, a blur this wide is computed at a scale ``k`` smaller (cost ~ 1
    / k^2): shrink with a triangle filter (variance ``k^2 / 6`` in full pixels; the rows, then
    the columns), blur with the binomial of order ``n`` (variance ``n / 4`` small pixels = ``k^2
    n / 4``; integer sums, rounded once), enlarge bilinearly (``(k^2 - 1) / 6``); ``k`` makes
    the variances add up to ``s^2``. The row shrink and the enlarge are integer fixed point
    (:mod:`mmbench.perturb.resample`; they and the binomial run in a C kernel where built, else
    numpy, the same bytes), the column shrink is torch's antialiased uint8 resize. ``n`` is 2
    (``[1, 2, 1] / 4``) up to ``NARROW_SMALL_BLUR_MAX_SIGMA`` and 4 (``[1, 4, 6, 4, 1] / 16``)
    above: the narrower filter means a larger ``k`` and a third less work, but at sigma 6 its
    error at the borders, where the resampling does not repeat the edge as the exact filter
    does, passes the bound below. Below ``k = 1.5`` it is the exact filter (separable, edges
    repeated, truncated at 4 sigma: the skimage ``gaussian`` ImageNet-C calls). The deviation
    from the exact filter is tested and documented: PSNR >= 45 dB at every severity on a 640 x
    480 photo and its 224 x 224 and 101 x 67 crops. Version 5; version 4 shrank the rows and
    enlarged with torch's uint8 resizes (the enlarge's two passes each rounded to uint8; version
    5 rounds the exact bilinear sum once: 0.1-0.8 dB closer to the exact filter, and costs 0.4
    ms against 0.85 at severity 3 on 640 x 480), version 3 used ``[1, 4, 6, 4, 1] / 16`` at
    every sigma (version 2 shrank both axes in one call and rounded the binomial after each
    axis).
    """
    h, w = img.shape[:2]
    plan = _blur_plan(h, w, sigma)
    if not plan.hs:
        return _exact_gaussian(img, plan.s)
    hs, ws = plan.hs, plan.ws
    # The rows first (fixed point), so that torch's horizontal pass, the dearer per pixel, runs
    # on hs rows: on a [1, 3, hs, W] view of [hs, W, 3] memory (channels last) made in numpy
    # (torch's indexing and permute cost 3 us each); a reshape, not [None], so the batch stride
    # is not 0 (torch would then take the layout for channels first and leave its fast path).
    rows = shrink_rows(img, hs).reshape(1, hs, w, 3).transpose(0, 3, 1, 2)
    small = _resize(torch.from_numpy(rows), hs, ws)  # [1, 3, hs, ws]
    b = _binomial(small.numpy()[0].transpose(1, 2, 0), plan.n)  # [hs, ws, 3]
    return enlarge(b, h, w)  # [H, W, 3]


@register("image:jpeg", "quality", (25, 18, 15, 10, 7), "JPEG quality", IMAGENET_C, seeded=False)
def jpeg(img: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    """Re-encode as JPEG at ``quality`` (PIL's encoder, as ImageNet-C) and decode again."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as out:
        return np.asarray(out.convert("RGB"))


@register(
    "image:brightness",
    "delta",
    (0.1, 0.2, 0.3, 0.4, 0.5),
    "added to HSV value",
    IMAGENET_C,
    seeded=False,
)
def brightness(img: np.ndarray, delta: float, rng: np.random.Generator) -> np.ndarray:
    """Add ``delta`` to the HSV value channel (in [0, 1], clipped), hue and saturation kept.

    With hue and saturation fixed, RGB scales with V, so this is ``rgb * V' / V`` (a black
    pixel, whose saturation is undefined, becomes grey ``V'``, as in skimage's HSV).
    """
    v = np.maximum(np.maximum(img[..., 0], img[..., 1]), img[..., 2])  # [H, W] value V
    levels = np.arange(256, dtype=np.float64)
    v_new = np.minimum(levels + delta * 255.0, 255.0)  # [256]
    gain = np.rint(v_new / np.maximum(levels, 1) * 65536).astype(np.uint32)  # [256] 16.16 fixed
    out = ((img * gain[v][..., None] + 32768) >> 16).astype(np.uint8)  # [H, W, 3]
    out[v == 0] = _to_uint8(v_new[0])  # black has no hue: it becomes grey V'
    return out


@register(
    "image:contrast",
    "factor",
    (0.4, 0.3, 0.2, 0.1, 0.05),
    "of the contrast",
    IMAGENET_C,
    seeded=False,
)
def contrast(img: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Shrink every channel towards its mean: ``(x - mean) * factor + mean``."""
    from PIL import Image

    pil = Image.fromarray(img)  # once for the histogram and the lookup (0.3 ms a copy)
    mean = _channel_means(pil)[:, None]  # [3, 1]
    table = _to_uint8((np.arange(256.0)[None, :] - mean) * factor + mean)  # [3, 256]
    return _lut(pil, table)


@register(
    "image:pixelate",
    "factor",
    (0.6, 0.5, 0.4, 0.3, 0.25),
    "resize factor",
    IMAGENET_C,
    seeded=False,
)
def pixelate(img: np.ndarray, factor: float, rng: np.random.Generator) -> np.ndarray:
    """Downscale by ``factor`` and back with box filters."""
    from PIL import Image

    h, w = img.shape[:2]
    small = Image.fromarray(img).resize(
        (max(1, int(w * factor)), max(1, int(h * factor))), Image.Resampling.BOX
    )
    return np.asarray(small.resize((w, h), Image.Resampling.BOX))


@register(
    "image:occlusion", "side", (0.1, 0.2, 0.3, 0.4, 0.5), "of each side", "Cutout (DeVries 2017)"
)
def occlusion(img: np.ndarray, side: float, rng: np.random.Generator) -> np.ndarray:
    """Cover a patch ``side`` x the height by ``side`` x the width with the image's mean colour.

    The patch centre is drawn uniformly from the image (clipped at the borders); it does not
    depend on ``side``, so a larger patch covers the smaller ones of lower severities.
    """
    h, w = img.shape[:2]
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ph, pw = side * h / 2, side * w / 2
    y0, y1 = max(0, round(cy - ph)), min(h, round(cy + ph))
    x0, x1 = max(0, round(cx - pw)), min(w, round(cx + pw))
    out = img.copy()
    out[y0:y1, x0:x1] = _to_uint8(_channel_means(img))  # [3] broadcast
    return out
