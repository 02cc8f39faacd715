"""Perturbation cost per sample next to decode cost: every image perturbation at severity 3 on
a 640 x 480 photo-like image (decoded from JPEG and from PNG), every audio perturbation at
severity 3 on a 10 s clip (decoded from FLAC and WAV), and the two text perturbations on a
VQA-length question. The issue's target: image noise and blur <= 20% of the image's decode.

Run: PYTHONPATH=$PWD python benchmarks/bench_perturb.py [--append] [--clock cpu] [--severities 1-5]
(``--severities``: the image perturbations at each of these severities instead of 3.)
Times: median of ``--repeat`` runs (default 31) after one warm-up, one thread, in-process;
``--clock cpu`` times each run with ``time.process_time`` (CPU time of this process: steadier
than wall time on a loaded machine, but it counts the time of every thread it runs).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from benchmarks._common import append_results
from mmbench.datasets.media import decode_audio, decode_image
from mmbench.experiments.robustness import parse_severities
from mmbench.perturb import parse_one
from mmbench.registry import PERTURBATIONS
from mmbench.types import AUDIO_SAMPLE_RATE


def median_ms(
    fn: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    fn()
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times) * 1000


def photo(h: int = 480, w: int = 640) -> np.ndarray:
    """A smooth scene with edges and fine texture (compresses like a photo, not like noise)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = np.stack([x / w * 255, y / h * 255, (x + y) / (w + h) * 255], axis=-1)
    for _ in range(12):
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(20, 120)
        base[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.uniform(0, 255, 3)
    return (base + rng.normal(0, 6, base.shape)).clip(0, 255).astype(np.uint8)


def speech_like(seconds: float = 10.0) -> np.ndarray:
    t = np.arange(int(seconds * AUDIO_SAMPLE_RATE)) / AUDIO_SAMPLE_RATE
    voiced = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((140, 280, 420, 980), 1))
    return (0.2 * voiced * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=31)
    ap.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="what to time")
    ap.add_argument("--severities", default="3", help="image severities: 3, 1-5 or 1,3,5")
    args = ap.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(1)
    import soundfile as sf

    tmp = Path(tempfile.mkdtemp())
    img, wave = photo(), speech_like()
    Image.fromarray(img).save(tmp / "img.jpg", quality=90)
    Image.fromarray(img).save(tmp / "img.png")
    sf.write(tmp / "clip.flac", wave, AUDIO_SAMPLE_RATE)
    sf.write(tmp / "clip.wav", wave, AUDIO_SAMPLE_RATE)

    rows = []
    decode = {
        "decode JPEG 640x480": median_ms(
            lambda: decode_image("b", tmp / "img.jpg"), args.repeat, clock
        ),
        "decode PNG 640x480": median_ms(
            lambda: decode_image("b", tmp / "img.png"), args.repeat, clock
        ),
    }
    jpeg_ms, png_ms = decode["decode JPEG 640x480"], decode["decode PNG 640x480"]
    rows += [(k, v, "") for k, v in decode.items()]
    for name in [n for n in PERTURBATIONS.names() if n.startswith("image:")]:
        for severity in parse_severities(args.severities):
            step = parse_one(f"{name}@{severity}")
            ms = median_ms(lambda step=step: step.apply(img, "sample-1"), args.repeat, clock)
            rel = f"{ms / jpeg_ms:.0%} of JPEG, {ms / png_ms:.0%} of PNG decode"
            rows.append((f"{name}@{severity}", ms, rel))
    audio = {
        "decode FLAC 10 s": median_ms(
            lambda: decode_audio("b", tmp / "clip.flac"), args.repeat, clock
        ),
        "decode WAV 10 s": median_ms(
            lambda: decode_audio("b", tmp / "clip.wav"), args.repeat, clock
        ),
    }
    flac_ms = audio["decode FLAC 10 s"]
    rows += [(k, v, "") for k, v in audio.items()]
    for name in [n for n in PERTURBATIONS.names() if n.startswith("audio:")]:
        step = parse_one(f"{name}@3")
        ms = median_ms(lambda step=step: step.apply(wave, "sample-1"), args.repeat, clock)
        rows.append((f"{name}@3", ms, f"{ms / flac_ms:.0%} of FLAC decode"))
    question = "what is the color of the shape in the top left corner of the image"
    for name in ("text:typo", "text:word_drop"):
        step = parse_one(f"{name}@3")
        ms = median_ms(lambda step=step: step.apply(question, "q1"), args.repeat, clock)
        rows.append((f"{name}@3", ms, ""))

    lines = [f"| step | {args.clock} ms per sample (median) | relative |", "|---|---:|---|"]
    lines += [f"| {name} | {ms:.3f} | {rel} |" for name, ms, rel in rows]
    table = "\n".join(lines)
    print(table)
    if args.append:
        append_results("Perturbation cost per sample vs decode (bench_perturb.py)", table)


if __name__ == "__main__":
    main()
