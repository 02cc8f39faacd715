"""(a) The profiler's samples/s against torch.utils.benchmark.Timer on the same forward.

Same module, same pre-built batch on ``--device`` (32 easy-VQA samples, 64x64 images),
same thread count.
Timer chunks (``Timer.timeit``) and Profiler chunks (``Profiler.batch``) alternate tightly so
that load from other processes hits both alike. Target: within 5%.
"""

from __future__ import annotations

import argparse
import itertools
import statistics

import torch
import torch.utils.benchmark as tb

from benchmarks._common import append_results
from benchmarks.reference_cnn_gru import encode, make_model
from mmbench.profiling import Profiler
from mmbench.tasks import load_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--chunks", type=int, default=30, help="interleaved chunks per round")
    ap.add_argument("--per-chunk", type=int, default=3, help="forward calls per chunk and side")
    ap.add_argument(
        "--threads", type=int, default=1, help="torch threads (1: steadier on shared CPUs)"
    )
    ap.add_argument("--device", default="cpu", help="cpu or cuda (Timer and Profiler both sync)")
    ap.add_argument("--append", action="store_true", help="append to benchmarks/RESULTS.md")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model = make_model().module.to(args.device)
    samples = list(itertools.islice(load_task("easyvqa").samples(), args.batch_size))
    images, words = (t.to(args.device) for t in encode(samples))

    def forward() -> torch.Tensor:
        with torch.inference_mode():
            return model(images, words)

    rows = []
    for _ in range(args.rounds):
        # Tightly interleaved chunks: machine load (shared cores) hits both alike.
        timer = tb.Timer("forward()", globals={"forward": forward}, num_threads=args.threads)
        prof = Profiler(warmup=10, device=args.device)
        for _ in range(10):
            with prof.batch(args.batch_size):
                forward()
        timer_chunks, prof_chunks = [], []
        for _ in range(args.chunks):
            timer_chunks.append(timer.timeit(args.per_chunk).mean * args.per_chunk)
            for _ in range(args.per_chunk):
                with prof.batch(args.batch_size):
                    forward()
            prof_chunks.append(sum(b.latency_s for b in prof.batches[-args.per_chunk :]))
        n = args.batch_size * args.per_chunk * args.chunks
        timer_sps = n / sum(timer_chunks)
        prof_sps = prof.summary()["samples_per_s"]
        paired = statistics.median(t / p for t, p in zip(timer_chunks, prof_chunks, strict=True))
        rows.append((timer_sps, prof_sps, prof_sps / timer_sps, paired))
        print(
            f"Timer {timer_sps:8.1f}  Profiler {prof_sps:8.1f}  ratio {prof_sps / timer_sps:.4f}"
            f"  paired median {paired:.4f}"
        )
    med = statistics.median(r[2] for r in rows)
    med_paired = statistics.median(r[3] for r in rows)
    table = (
        "| round | Timer samples/s | Profiler samples/s | ratio of totals | median paired ratio |\n"
        "|---|---|---|---|---|\n"
    )
    table += "".join(
        f"| {i + 1} | {t:,.1f} | {p:,.1f} | {r:.4f} | {q:.4f} |\n"
        for i, (t, p, r, q) in enumerate(rows)
    )
    table += (
        f"\nProfiler / Timer samples/s: median over rounds **{med:.4f}** of totals, "
        f"**{med_paired:.4f}** of paired chunks (target: within 5% of 1). Each round: "
        f"{args.chunks} interleaved chunks of {args.per_chunk} calls per side, "
        f"{args.threads} torch thread(s), device {args.device}; a paired ratio compares a "
        "Timer chunk with the "
        "Profiler chunk right after it, which cancels load from other processes."
    )
    print(table)
    if args.append:
        append_results(
            f"(a) Profiler vs torch.utils.benchmark.Timer, CNN+GRU forward, "
            f"batch {args.batch_size}",
            table,
        )


if __name__ == "__main__":
    main()
