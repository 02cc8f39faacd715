"""One image perturbation at every severity next to decoding the JPEG, timed alternately: each
round decodes the 640 x 480 JPEG once and applies the perturbation once per severity, so a
machine whose load changes slows all of them alike (``bench_perturb.py`` times each row in
turn; its ratios drift with the load). CPU time per image (``time.process_time``), one torch
thread as in DataLoader workers; the median and the fastest of ``--rounds`` rounds, and each
as a share of the decode's median / fastest.

``--split S`` (the blur only) also times each step of ``image:gaussian_blur@S`` on its own
inputs in the same rounds (the fixed-point row shrink of ``mmbench.perturb.resample``, torch's
shrink of the columns, the binomial, the fixed-point enlarge; the resample steps say whether
their C kernel ran; ``--numpy`` runs without it, as an install without a C compiler), as a
share of the whole blur; the rest of the whole is the glue around them.

Run: PYTHONPATH=$PWD python benchmarks/bench_blur.py [--perturbation image:gaussian_blur]
[--rounds 201] [--split 3] [--numpy] [--append]
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
from benchmarks.bench_perturb import photo
from mmbench.datasets.media import decode_image
from mmbench.perturb import parse_one, resample
from mmbench.perturb.definition import SEVERITIES, definition
from mmbench.perturb.image import _binomial, _blur_plan, _resize
from mmbench.perturb.resample import enlarge, shrink_rows


def blur_steps(img: np.ndarray, severity: int) -> dict[str, Callable[[], object]]:
    """Each step of ``gaussian_blur`` at ``severity`` on ``img``, on its own precomputed input."""
    h, w = img.shape[:2]
    plan = _blur_plan(h, w, definition("image:gaussian_blur").value_at(severity))
    if not plan.hs:
        raise SystemExit(f"severity {severity} is the exact filter at {w} x {h}: no steps")
    hs, ws, n = plan.hs, plan.ws, plan.n
    kernel = "numpy" if resample.kernels is None else "c"
    rows = torch.from_numpy(shrink_rows(img, hs).reshape(1, hs, w, 3).transpose(0, 3, 1, 2))
    small = _resize(rows, hs, ws).numpy()[0].transpose(1, 2, 0)  # [hs, ws, 3]
    b = _binomial(small, n)  # [hs, ws, 3]
    return {
        f"shrink the rows {h} -> {hs} ({kernel})": lambda: shrink_rows(img, hs),
        f"shrink the columns {w} -> {ws}": lambda: _resize(rows, hs, ws),
        f"binomial n={n} on {hs} x {ws}": lambda: _binomial(small, n),
        f"enlarge {hs} x {ws} -> {h} x {w} ({kernel})": lambda: enlarge(b, h, w),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--perturbation", default="image:gaussian_blur")
    ap.add_argument("--rounds", type=int, default=201)
    ap.add_argument("--split", type=int, metavar="S", help="time the blur's steps at severity S")
    ap.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    ap.add_argument("--numpy", action="store_true", help="without the C kernel (comparison)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.numpy:  # as an install without a C compiler
        resample.kernels = None

    img = photo()
    path = Path(tempfile.mkdtemp()) / "img.jpg"
    Image.fromarray(img).save(path, quality=90)
    decode = "decode JPEG 640x480"
    steps: dict[str, Callable[[], object]] = {decode: lambda: decode_image("b", path)}
    for s in SEVERITIES:
        step = parse_one(f"{args.perturbation}@{s}")
        steps[step.spec] = lambda step=step: step.apply(img, "sample-1")
    split = blur_steps(img, args.split) if args.split else {}
    if split and args.perturbation != "image:gaussian_blur":
        raise SystemExit("--split times image:gaussian_blur only")
    steps.update(split)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for fn in steps.values():
        fn()  # warm-up
    for _ in range(args.rounds):
        for name, fn in steps.items():
            start = time.process_time()
            fn()
            times[name].append(time.process_time() - start)

    med, fast = statistics.median(times[decode]), min(times[decode])
    lines = ["| step | CPU ms, median | of decode | CPU ms, fastest | of decode |"]
    lines.append("|---|---:|---:|---:|---:|")
    for name in [n for n in times if n not in split]:
        m, f = statistics.median(times[name]), min(times[name])
        lines.append(f"| {name} | {m * 1e3:.3f} | {m / med:.0%} | {f * 1e3:.3f} | {f / fast:.0%} |")
    if split:
        whole = f"{args.perturbation}@{args.split}"
        wm, wf = statistics.median(times[whole]), min(times[whole])
        lines += [
            "",
            f"| step of {whole} | CPU ms, median | of the blur | CPU ms, fastest | of it |",
        ]
        lines.append("|---|---:|---:|---:|---:|")
        rest_m, rest_f = wm, wf
        for name in split:
            m, f = statistics.median(times[name]), min(times[name])
            rest_m, rest_f = rest_m - m, rest_f - f
            lines.append(
                f"| {name} | {m * 1e3:.3f} | {m / wm:.0%} | {f * 1e3:.3f} | {f / wf:.0%} |"
            )
        lines.append(
            f"| around them | {rest_m * 1e3:.3f} | {rest_m / wm:.0%} | {rest_f * 1e3:.3f} "
            f"| {rest_f / wf:.0%} |"
        )
    table = "\n".join(lines)
    print(table)
    if args.append:
        append_results(f"{args.perturbation} vs JPEG decode, alternating (bench_blur.py)", table)


if __name__ == "__main__":
    main()
