import numpy as np
import pytest

from mmbench.perturb import Perturbation
from mmbench.perturb.definition import SEVERITIES, definition
from mmbench.registry import PERTURBATIONS

IMAGE = [n for n in PERTURBATIONS.names() if n.startswith("image:")]


def at(name: str, severity: int, img: np.ndarray, sample_id: str = "s1", seed: int = 0):
    p = Perturbation(name, definition(name).value_at(severity), severity, seed)
    return p.apply(img, sample_id)


def test_every_imagenet_c_corruption_and_occlusion_is_registered():
    assert IMAGE == [
        "image:brightness",
        "image:contrast",
        "image:gaussian_blur",
        "image:gaussian_noise",
        "image:jpeg",
        "image:occlusion",
        "image:pixelate",
    ]


@pytest.mark.parametrize("name", IMAGE)
def test_shape_dtype_kept_and_input_untouched(name, image):
    before = image.copy()
    for s in SEVERITIES:
        out = at(name, s, image)
        assert out.shape == image.shape and out.dtype == np.uint8
        assert not np.array_equal(out, image), f"{name}@{s} changed nothing"
    assert np.array_equal(image, before)


@pytest.mark.parametrize("name", IMAGE)
def test_deterministic_per_sample_and_seed(name, image):
    assert np.array_equal(at(name, 3, image, "a"), at(name, 3, image, "a"))
    if name in ("image:gaussian_noise", "image:occlusion"):  # the random ones
        assert not np.array_equal(at(name, 3, image, "a"), at(name, 3, image, "b"))
        assert not np.array_equal(at(name, 3, image, "a"), at(name, 3, image, "a", seed=1))


@pytest.mark.parametrize("name", IMAGE)
def test_psnr_falls_with_severity(name, scenes):
    """PSNR of the mean squared error over 16 scenes: on one image, pixelation can lose less
    at a smaller factor when its blocks happen to align with the edges (ImageNet-C's too)."""
    mse = [
        np.mean(
            [
                np.mean((at(name, s, x, f"s{i}").astype(np.float64) - x) ** 2)
                for i, x in enumerate(scenes)
            ]
        )  # fmt: skip
        for s in SEVERITIES
    ]
    values = [10 * np.log10(255.0**2 / m) for m in mse]
    assert all(a > b for a, b in zip(values, values[1:], strict=False)), values


def test_unseeded_perturbations_draw_nothing(image, draws_nothing):
    """Those registered ``seeded=False`` skip the per-sample generator and leave the shared one
    untouched; the random ones (noise, occlusion) keep theirs."""
    unseeded = [n for n in IMAGE if not definition(n).seeded]
    assert unseeded == [
        "image:brightness", "image:contrast", "image:gaussian_blur", "image:jpeg", "image:pixelate"
    ]  # fmt: skip
    draws_nothing(unseeded, lambda name, s: at(name, s, image), "image:gaussian_noise")


def test_gaussian_noise_has_the_imagenet_c_standard_deviation():
    flat = np.full((200, 200, 3), 128, np.uint8)
    out = at("image:gaussian_noise", 3, flat).astype(np.float64)
    assert np.std(out - 128) / 255 == pytest.approx(0.18, rel=0.03)


def test_brightness_keeps_hue_and_raises_value(image):
    out = at("image:brightness", 1, image).astype(np.float64)
    v_in, v_out = image.max(axis=2) / 255.0, out.max(axis=2) / 255.0
    assert np.allclose(v_out, np.minimum(v_in + 0.1, 1.0), atol=1 / 255)


def test_occlusion_patch_grows_around_one_centre(image):
    masks = [np.any(at("image:occlusion", s, image) != image, axis=2) for s in SEVERITIES]
    for small, big in zip(masks, masks[1:], strict=False):
        assert (small & ~big).sum() <= small.sum() * 0.02  # a larger patch covers the smaller
        assert big.sum() > small.sum()


def _exact_blur(img: np.ndarray, severity: int) -> np.ndarray:
    """ImageNet-C's blur (skimage ``gaussian``: edges repeated, 4 sigma) in float64."""
    from scipy.ndimage import gaussian_filter

    sigma = definition("image:gaussian_blur").value_at(severity) * min(img.shape[:2]) / 224
    out = gaussian_filter(img.astype(np.float64), (sigma, sigma, 0), mode="nearest", truncate=4.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


@pytest.mark.parametrize("size", [(480, 640), (224, 224), (101, 67)])
def test_gaussian_blur_stays_close_to_the_exact_gaussian(photo, size):
    """The downscaled computation of wide blurs (docs/robustness.md: 46-54 dB at 640 x 480)."""
    img = np.ascontiguousarray(photo[: size[0], : size[1]])
    for s in SEVERITIES:
        assert _psnr(at("image:gaussian_blur", s, img), _exact_blur(img, s)) > 45.0, (size, s)


@pytest.mark.parametrize("shape", [(1, 1, 3), (3, 2, 3), (17, 23, 3), (86, 115, 3)])
@pytest.mark.parametrize("order", [2, 4])
def test_binomial_is_the_integer_filter_rounded_once(shape, order):
    from scipy.ndimage import correlate1d

    from mmbench.perturb.image import _binomial

    a = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    taps = {2: np.array([1, 2, 1]) / 4, 4: np.array([1, 4, 6, 4, 1]) / 16}[order]
    ref = correlate1d(a.astype(np.float64), taps, axis=0, mode="nearest")
    ref = correlate1d(ref, taps, axis=1, mode="nearest")
    assert np.array_equal(_binomial(a, order), np.floor(ref + 0.5).astype(np.uint8))


def test_gaussian_blur_of_narrow_sigmas_is_the_exact_filter(image):
    for s in (1, 2, 3):  # 96 x 128: sigma 0.43 - 1.29 px, computed at full size
        out = at("image:gaussian_blur", s, image).astype(np.int16)
        assert np.abs(out - _exact_blur(image, s)).max() <= 1, s


def test_gaussian_blur_accepts_read_only_and_tiny_images(photo):
    frozen = photo[:200, :300].copy()
    frozen.flags.writeable = False
    assert at("image:gaussian_blur", 5, frozen).shape == (200, 300, 3)
    assert at("image:gaussian_blur", 5, photo[:3, :2].copy()).shape == (3, 2, 3)


@pytest.mark.parametrize("size", [(480, 640), (224, 224), (1, 1)])
def test_gaussian_blur_returns_contiguous_rows(photo, size):
    """The enlarge writes a new C-contiguous ``[H, W, 3]`` array; so does the exact filter of
    the narrow sigmas (the 1 x 1 image)."""
    img = np.ascontiguousarray(photo[: size[0], : size[1]])
    assert all(at("image:gaussian_blur", s, img).flags.c_contiguous for s in SEVERITIES)


def test_gaussian_noise_results_do_not_share_its_scratch_buffer(image):
    """The int16 scratch array is reused from call to call; what is returned never is."""
    import numpy as np

    from mmbench.perturb.image import gaussian_noise

    first = gaussian_noise(image, 0.18, np.random.default_rng(1))
    kept = first.copy()
    second = gaussian_noise(image, 0.38, np.random.default_rng(2))
    assert not np.shares_memory(first, second)
    np.testing.assert_array_equal(first, kept)
    assert not np.array_equal(first, second)
