"""Inputs for perturbation tests: a small natural-looking image, a speech-like wave, a text."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mmbench.types import AUDIO_SAMPLE_RATE


@pytest.fixture
def image() -> np.ndarray:
    """96 x 128 RGB: a gradient background, three shapes and mild texture."""
    y, x = np.mgrid[0:96, 0:128]
    bg = np.stack([x * 1.5, y * 2.0, 200 - x], axis=-1).clip(0, 255).astype(np.uint8)
    img = Image.fromarray(bg)
    draw = ImageDraw.Draw(img)
    draw.ellipse((10, 10, 50, 50), fill=(220, 30, 30))
    draw.rectangle((60, 20, 110, 70), fill=(30, 30, 200))
    draw.polygon([(20, 90), (50, 60), (80, 90)], fill=(250, 250, 40))
    arr = np.asarray(img).astype(np.int16)
    texture = np.random.default_rng(1).integers(-6, 7, arr.shape)
    return (arr + texture).clip(0, 255).astype(np.uint8)


@pytest.fixture
def scenes() -> list[np.ndarray]:
    """16 random 96 x 128 scenes of coloured discs on a plain background."""
    rng = np.random.default_rng(0)

    def colour() -> tuple[int, ...]:
        return tuple(int(v) for v in rng.integers(0, 256, 3))

    out = []
    for _ in range(16):
        img = Image.new("RGB", (128, 96), colour())
        draw = ImageDraw.Draw(img)
        for _ in range(6):
            x0, y0, size = rng.integers(0, 128), rng.integers(0, 96), rng.integers(8, 64)
            draw.ellipse((x0, y0, x0 + size, y0 + size), fill=colour())
        out.append(np.asarray(img))
    return out


@pytest.fixture
def wave() -> np.ndarray:
    """1.5 s of a speech-like signal: amplitude-modulated harmonics, float32 at 16 kHz."""
    t = np.arange(int(1.5 * AUDIO_SAMPLE_RATE)) / AUDIO_SAMPLE_RATE
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 980), 1))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 3 * t)
    return (0.2 * voiced * envelope).astype(np.float32)


@pytest.fixture
def text() -> str:
    return (
        "what is the color of the shape in the top left corner of the image and is it a "
        "circle or a rectangle or maybe a triangle drawn on a gradient background"
    )


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """480 x 640 RGB: gradients, twelve discs and fine texture (the size the cost target names)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:480, 0:640].astype(np.float32)
    base = np.stack([x / 640 * 255, y / 480 * 255, (x + y) / 1120 * 255], axis=-1)
    for _ in range(12):
        cy, cx, r = rng.uniform(0, 480), rng.uniform(0, 640), rng.uniform(20, 120)
        base[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(0, 255, 3)
    return (base + rng.normal(0, 6, base.shape)).clip(0, 255).astype(np.uint8)


@pytest.fixture
def draws_nothing(monkeypatch):
    """``check(names, apply, random_name)``: ``apply(name, severity)`` of every name at every
    severity builds no per-sample generator and leaves the shared ``UNSEEDED`` one as it was,
    while ``random_name`` (a perturbation that draws) does build one."""
    from mmbench.perturb import definition as d
    from mmbench.perturb.definition import SEVERITIES

    def no_generator(*args):
        raise AssertionError("a per-sample generator was built")

    def check(names, apply, random_name: str) -> None:
        state = d.UNSEEDED.bit_generator.state
        monkeypatch.setattr(d, "rng_for", no_generator)
        for name in names:
            for s in SEVERITIES:
                apply(name, s)
        assert d.UNSEEDED.bit_generator.state == state
        with pytest.raises(AssertionError, match="per-sample generator"):
            apply(random_name, 3)

    return check
