"""One image perturbation at every severity next to decoding the JPEG, timed alternately: each
round decodes the 640 x 480 JPEG once and applies the perturbation once per severity, so a
machine whose load changes slows all of them alike (``bench_perturb.py`` times each row in
turn; its ratios drift with the load). CPU time per image (``time.process_time``), one torch
thread as in DataLoader workers; the median and the fastest of ``--rounds`` rounds, and each
as a share of the decode's median / fastest.

Run: PYTHONPATH=$PWD python benchmarks/bench_blur.py [--perturbation image:gaussian_blur]
[--rounds 201] [--append]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from PIL import Image

from benchmarks._common import append_results
from benchmarks.bench_perturb import photo
from mmbench.datasets.media import decode_image
from mmbench.perturb import parse_one
from mmbench.perturb.definition import SEVERITIES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--perturbation", default="image:gaussian_blur")
    ap.add_argument("--rounds", type=int, default=201)
    ap.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    args = ap.parse_args()
    torch.set_num_threads(1)

    img = photo()
    path = Path(tempfile.mkdtemp()) / "img.jpg"
    Image.fromarray(img).save(path, quality=90)
    decode = "decode JPEG 640x480"
    steps: dict[str, Callable[[], object]] = {decode: lambda: decode_image("b", path)}
    for s in SEVERITIES:
        step = parse_one(f"{args.perturbation}@{s}")
        steps[step.spec] = lambda step=step: step.apply(img, "sample-1")
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
    for name, t in times.items():
        m, f = statistics.median(t), min(t)
        lines.append(f"| {name} | {m * 1e3:.3f} | {m / med:.0%} | {f * 1e3:.3f} | {f / fast:.0%} |")
    table = "\n".join(lines)
    print(table)
    if args.append:
        append_results(f"{args.perturbation} vs JPEG decode, alternating (bench_blur.py)", table)


if __name__ == "__main__":
    main()
