"""CPU cost of the caption CIs (BLEU, ROUGE-L, CIDEr-D; 1,000 resamples) on 40,000 images x 5.

Measures CPU seconds (``time.process_time``, all threads), which mean something on a busy
machine where wall times do not: the serial part (building CIDEr-D's sparse matrices) and
the bootstrap that runs on one thread per usable CPU (drawing the indices, BLEU, ROUGE-L
and CIDEr-D's blocks), best of ``--repeat``. The serial fraction is the build's share of
the CI's CPU seconds; with ``c`` CPUs, the CI's wall time is at best
``build + loop / c``. Wall seconds are printed too, with the load average, and the
bootstrap's minor page faults (temporaries mapped afresh instead of reused cost system CPU).

    PYTHONPATH=$PWD python benchmarks/bench_caption_cis.py [--images 40000] [--repeat 3] [--numpy]

The captions are the generated COCO-style set of ``bench_scoring_process.py``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from mmbench.datasets._synthetic_captions import coco_caption_files
from mmbench.metrics import bootstrap, cider, sparse_product
from mmbench.metrics._captions import tokenize_captions
from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import DEFAULT_SEED, bootstrap_scores_many, usable_cpus


def captions(n: int) -> tuple[list[str], list[list[str]]]:
    """Predictions and references of the generated set, in image order."""
    ann, res = coco_caption_files(n, refs_per_image=5, seed=0)
    refs: dict[int, list[str]] = {}
    for a in ann["annotations"]:
        refs.setdefault(a["image_id"], []).append(a["caption"])
    preds = {r["image_id"]: r["caption"] for r in res}
    ids = [img["id"] for img in ann["images"]]
    return [preds[i] for i in ids], [refs[i] for i in ids]


def faults() -> int:
    """Minor page faults of this process so far (each freshly mapped page touched)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def timed(fn):
    """(minor page faults, CPU seconds, wall seconds) of ``fn()``."""
    flt, cpu, wall = faults(), time.process_time(), time.perf_counter()
    fn()
    return faults() - flt, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=40_000)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--numpy", action="store_true", help="without the C kernels (comparison)")
    args = ap.parse_args()
    if args.numpy:  # as an install without a C compiler
        sparse_product.kernels = None
        bootstrap.CHUNK_MULTIPLE = 1
    caps = tokenize_captions(*captions(args.images))
    metrics = [get_metric(name) for name in ("bleu", "rouge_l", "cider")]
    jobs = [(m, m.stats_tokenized(caps)) for m in metrics]
    cider.cider_resampler(caps, dtype=cider.RESAMPLE_DTYPE)  # imports scipy, warms up
    builds, boots = [], []
    for _ in range(args.repeat):
        _, cpu, wall = timed(lambda: cider.cider_resampler(caps, dtype=cider.RESAMPLE_DTYPE))
        builds.append((cpu, wall))
        flt, cpu, wall = timed(lambda: bootstrap_scores_many(jobs, args.resamples, DEFAULT_SEED))
        boots.append((cpu, wall, flt))
    build, boot = min(builds), min(boots)  # the bootstrap builds its own resampler too
    loop = boot[0] - build[0]
    kernel = "numpy" if sparse_product.kernels is None else sparse_product.KERNEL
    print(f"{args.images:,} images x 5, {args.resamples:,} resamples, {usable_cpus()} CPUs")
    print(f"kernels: {kernel}")
    print(f"build CIDEr-D matrices (serial): {build[0]:.2f} CPU s ({build[1]:.2f} s wall)")
    print(f"bootstrap incl. build: {boot[0]:.2f} CPU s ({boot[1]:.2f} s wall, {boot[2]:,} faults)")
    print(f"resample loop (threads): {loop:.2f} CPU s")
    print(f"serial fraction: {build[0] / boot[0]:.2f}")
    print(f"best-case CI wall on {usable_cpus()} CPUs: {build[0] + loop / usable_cpus():.2f} s")
    print(f"1-minute load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
