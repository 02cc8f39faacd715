"""(b) Harness overhead: end-to-end ``run_task`` samples/s against a bare forward loop.

Model: the CNN+GRU reference-sized adapter (~2.1 M parameters, random weights) on easy-VQA
(64x64 PNG images + questions), batch 32, ``--threads`` torch threads.

- **bare**: the adapter's ``predict`` over batches of samples decoded beforehand, timed with
  perf_counter; nothing else.
- **run, pre-decoded**: ``mmbench.runner.run_task`` end to end (read the task, batch,
  predict with the profiler, append to the JSONL store, score, write the results JSON) on a
  task whose reader yields the *same pre-decoded samples*: the harness's own overhead.
- **run, decoding**: the same on the real task: PNG decoding in DataLoader workers is
  included, which the bare loop was spared; it is hidden only where a spare core exists.

Samples/s of a run is samples / the whole ``run_task`` call timed from outside, compared
with bare loops run right before and after it (medians over ``--rounds``). Because that
stays noisy at the few-% level on shared machines, the harness's own time is also read off
the run itself: ``elapsed`` minus the adapter's own ``model_phase`` blocks (preprocess,
forward, postprocess: the code the bare loop runs), relative to those blocks.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import statistics
import tempfile
import time

import torch

from benchmarks._common import append_results
from benchmarks.reference_cnn_gru import make_model
from mmbench.datasets.media import decode
from mmbench.profiling.compute import count_flops
from mmbench.registry import READERS
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import load_task

_POOL: list = []


@READERS.register("bench_predecoded")
class PreDecoded:
    """Yields the benchmark's already-decoded samples (only used by this script)."""

    def __init__(self, data_root=None, task=None, **_):
        self.samples = _POOL

    def __iter__(self):
        return iter(self.samples)


def bare_loop(model, samples, batch_size: int) -> float:
    """samples/s of predict over pre-decoded batches (decoding not timed)."""
    batches = [samples[i : i + batch_size] for i in range(0, len(samples), batch_size)]
    start = time.perf_counter()
    for batch in batches:
        model.predict(batch)
    return len(samples) / (time.perf_counter() - start)


def run_rate(
    model, task, args, workers: int | None, limit: int | None = None
) -> tuple[float, dict]:
    """samples/s of one whole ``run_task`` call, timed from outside (results file included)."""
    with tempfile.TemporaryDirectory() as out:
        cfg = RunConfig(
            out_dir=out, limit=limit or args.samples, batch_size=args.batch_size, progress=False,
            workers=workers, n_resamples=args.bootstrap,
        )  # fmt: skip
        start = time.perf_counter()
        rec = run_task("benchmarks.reference_cnn_gru:make_model", task, cfg, model=model).record
        elapsed = time.perf_counter() - start
    return rec["n_samples"] / elapsed, {**rec["profile"], "elapsed_s": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--samples", type=int, default=9673, help="default: the whole test split")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads")
    ap.add_argument("--bootstrap", type=int, default=0, help="bootstrap resamples in the runs")
    ap.add_argument("--append", action="store_true", help="append to benchmarks/RESULTS.md")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    task = load_task("easyvqa")
    model = make_model()
    _POOL[:] = [decode(s) for s in itertools.islice(task.samples(), args.samples)]
    predecoded = dataclasses.replace(task, reader="bench_predecoded", reader_args={})
    bare_loop(model, _POOL[: args.batch_size * 3], args.batch_size)  # warm the allocator
    first = _POOL[: args.batch_size]
    cold = time.perf_counter()
    count_flops(model, lambda: model.predict(first), len(first))  # imports torch._dynamo
    cold = time.perf_counter() - cold
    warm = time.perf_counter()
    count_flops(model, lambda: model.predict(first), len(first))
    warm = time.perf_counter() - warm
    run_rate(model, predecoded, args, workers=0, limit=args.batch_size)  # first-call imports

    def own(profile: dict) -> float:
        model_s = sum(v for k, v in profile["phases_s"].items() if k.startswith("predict."))
        return (profile["elapsed_s"] - model_s) / model_s

    rows = []
    for r in range(args.rounds):
        bare = bare_loop(model, _POOL, args.batch_size)
        pre = run_rate(model, predecoded, args, workers=0)
        bare_after = bare_loop(model, _POOL, args.batch_size)
        dec = run_rate(model, task, args, workers=None)
        rows.append((bare, bare_after, pre, dec))
        print(f"round {r + 1}: bare {bare:.1f}/{bare_after:.1f}  pre-decoded run {pre[0]:.1f}  "
              f"decoding run {dec[0]:.1f} samples/s  own {own(pre[1]):.2%}")  # fmt: skip

    def med(values) -> float:
        return statistics.median(values)

    # each run is compared with the mean of the bare loops right before and after it
    pre_ovh = [1 - pre[0] / ((b + a) / 2) for b, a, pre, _ in rows]
    dec_ovh = [1 - dec[0] / a for _, a, _, dec in rows]
    own_pre = [own(pre[1]) for _, _, pre, _ in rows]
    lines = [
        "| round | bare samples/s (before / after) | run, pre-decoded | overhead | "
        "harness own time | run, decoding PNGs | overhead |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, ((b, a, pre, dec), po, do, ow) in enumerate(
        zip(rows, pre_ovh, dec_ovh, own_pre, strict=True)
    ):
        lines.append(
            f"| {i + 1} | {b:,.1f} / {a:,.1f} | {pre[0]:,.1f} | {po:+.2%} | {ow:.2%} "
            f"| {dec[0]:,.1f} | {do:+.2%} |"
        )
    lines.append(
        f"| **median** | | | **{med(pre_ovh):+.2%}** | **{med(own_pre):.2%}** | "
        f"| {med(dec_ovh):+.2%} |"
    )
    phases = ", ".join(f"{k} {v:.3f}" for k, v in rows[-1][2][1]["phases_s"].items())
    dec_phases = ", ".join(f"{k} {v:.3f}" for k, v in rows[-1][3][1]["phases_s"].items())
    table = "\n".join(lines) + (
        f"\n\n{args.samples} samples, batch {args.batch_size}, {args.threads} torch "
        f"thread(s), bootstrap {args.bootstrap}, {args.rounds} rounds. Target: harness "
        "overhead <= 3%. *Overhead*: 1 - run samples/s over the mean of the bare loops just "
        "before and after it. *Harness own time*: the run's elapsed time minus the adapter's "
        "own model phases, relative to them (read off one run, so insensitive to load).\n"
        f"Not in the runs above (warmed up first): the first FLOP count in a process costs "
        f"{cold:.2f} s (FlopCounterMode imports torch._dynamo) against {warm:.3f} s warm; "
        "a one-off per process, skipped by `--no-flops`.\n"
        f"Phases of the last pre-decoded run (s): {phases}.\n"
        f"Phases of the last decoding run (s): {dec_phases}.\n"
    )
    print(table)
    if args.append:
        append_results(f"(b) Harness overhead, CNN+GRU on easyvqa, batch {args.batch_size}", table)


if __name__ == "__main__":
    main()
