"""(c) The harness's own cost per sample: a no-op model over 10k samples.

``constant:yes`` (consumes no modality, so nothing is decoded) on the first 10,000 questions
of easy-VQA's train split, batch 32, via ``mmbench.runner.run_task`` from a fresh output
folder. Cost per sample = whole ``run_task`` call (timed from outside) / samples, split by
phase. Best of ``--rounds``; with and without bootstrap CIs.
"""

from __future__ import annotations

import argparse
import tempfile
import time

from benchmarks._common import append_results
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import load_task


def one_run(task, n: int, batch_size: int, bootstrap: int) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as out:
        cfg = RunConfig(
            out_dir=out, limit=n, batch_size=batch_size, progress=False, n_resamples=bootstrap
        )
        start = time.perf_counter()
        rec = run_task("constant:yes", task, cfg).record
        elapsed = time.perf_counter() - start
    assert rec["n_samples"] == n, rec["n_samples"]
    return elapsed, rec["profile"]["phases_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--append", action="store_true", help="append to benchmarks/RESULTS.md")
    args = ap.parse_args()

    task = load_task("easyvqa").with_reader_args(split="train")
    one_run(task, 64, args.batch_size, 0)  # first-call imports
    lines = ["| bootstrap | µs / sample (total) | per phase, µs / sample |", "|---|---|---|"]
    for bootstrap in (0, 1000):
        runs = [one_run(task, args.samples, args.batch_size, bootstrap) for _ in range(args.rounds)]
        elapsed, phases = min(runs, key=lambda r: r[0])
        per = {k: v / args.samples * 1e6 for k, v in phases.items()}
        other = elapsed / args.samples * 1e6 - sum(per.values())
        split = ", ".join(f"{k} {v:.1f}" for k, v in per.items()) + f", other {other:.1f}"
        lines.append(f"| {bootstrap} | **{elapsed / args.samples * 1e6:.1f}** | {split} |")
        print(lines[-1])
    body = "\n".join(lines) + (
        f"\n\n{args.samples} samples, batch {args.batch_size}, best of {args.rounds} runs. "
        "`other`: per-run fixed costs (store open, fingerprints, results validation and "
        "atomic write) spread over the samples."
    )
    print(body)
    if args.append:
        append_results("(c) Harness cost per sample, no-op model", body)


if __name__ == "__main__":
    main()
