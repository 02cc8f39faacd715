"""Throughput on a busy machine: ``ref-gated`` on ``shapes_caption``, idle vs one busy process.

Each measurement is a fresh ``mmbench run`` process (its ``profile.samples_per_s``), so no
thread state leaks between them. Two behaviours:

- ``old``: what runs did before the thread policy: torch's default intra-op threads (one per
  CPU) and the task's 2 DataLoader decode workers (``--threads <default> --workers 2``);
- ``new``: the thread policy (``mmbench.profiling.threads``), no flags.

each measured idle and with one competing busy process (``python -c "while True: pass"``)
started before the run and killed after. The median of ``--repeat`` runs is reported, with
the ratio busy/idle per behaviour (target: new >= 0.5) and whether each run's profile marked
the window contended. Refuses to ``--write`` when the machine is not idle to begin with
(1-minute load average above 1, or other runnable threads), unless ``--force``.

    PYTHONPATH=$PWD python benchmarks/bench_contention.py --repeat 5 --write
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.results_md import write_section
from mmbench.profiling.contention import runnable_others

MODEL, TASK = "ref-gated", "shapes_caption"
BUSY = "while True: pass"


def default_torch_threads() -> int:
    """torch's intra-op thread count in a fresh process (what ``old`` runs used)."""
    out = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.get_num_threads())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout)


def one_run(flags: list[str], limit: int, warmup: int, busy: bool) -> dict[str, Any]:
    """One ``mmbench run`` (optionally beside a busy process); its results record's profile."""
    competitor = subprocess.Popen([sys.executable, "-c", BUSY]) if busy else None
    try:
        if competitor is not None:
            time.sleep(1.0)  # let it settle on a CPU
        with tempfile.TemporaryDirectory() as out:
            cmd = [sys.executable, "-m", "mmbench", "run", "--model", MODEL, "--task", TASK,
                   "--limit", str(limit), "--warmup", str(warmup), "--bootstrap", "0",
                   "--no-progress", "--out", out, *flags]  # fmt: skip
            subprocess.run(cmd, check=True, capture_output=True, text=True)
            record = json.loads((Path(out) / "results" / f"{TASK}__{MODEL}.json").read_text())
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    return record["profile"]


def measure(args: argparse.Namespace) -> dict[tuple[str, str], list[dict[str, Any]]]:
    old = ["--threads", str(default_torch_threads()), "--workers", "2"]
    behaviours = {"old": old, "new": []}
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for i in range(args.repeat):  # interleaved, so a drift in the machine hits all alike
        for name, flags in behaviours.items():
            for load in ("idle", "busy"):
                prof = one_run(flags, args.limit, args.warmup, load == "busy")
                runs.setdefault((name, load), []).append(prof)
                policy, cont = prof["threads"], prof["contention"]
                print(
                    f"[{i + 1}/{args.repeat}] {name:3} {load:4} "
                    f"{prof['samples_per_s']:8.1f} samples/s  threads={policy['threads']} "
                    f"workers={policy['workers']} contended={cont['contended']}",
                    flush=True,
                )
    return runs


def table(runs: dict[tuple[str, str], list[dict[str, Any]]]) -> str:
    def median(key: tuple[str, str]) -> float:
        return statistics.median(p["samples_per_s"] for p in runs[key])

    lines = [
        "| behaviour | threads, workers (idle / busy) | idle samples/s | busy samples/s "
        "| busy / idle | runs marked contended (idle, busy) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for name in ("old", "new"):
        idle, busy = runs[(name, "idle")], runs[(name, "busy")]
        tw = " / ".join(
            f"{p[0]['threads']['threads']}, {p[0]['threads']['workers']}" for p in (idle, busy)
        )
        marked = ", ".join(
            f"{sum(p['contention']['contended'] for p in r)}/{len(r)}" for r in (idle, busy)
        )
        ratio = median((name, "busy")) / median((name, "idle"))
        lines.append(
            f"| {name} | {tw} | {median((name, 'idle')):,.0f} | {median((name, 'busy')):,.0f} "
            f"| {ratio:.2f} | {marked} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per condition (median)")
    parser.add_argument("--limit", type=int, default=500, help="test samples per run")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up batches per run")
    parser.add_argument("--write", action="store_true", help="write RESULTS.md's section")
    parser.add_argument("--force", action="store_true", help="--write even on a busy machine")
    args = parser.parse_args()

    load1 = os.getloadavg()[0]
    others = runnable_others(samples=20) or 0.0
    busy_machine = load1 > 1.0 or others >= 1.0
    if busy_machine:
        print(
            f"warning: the machine is not idle (load average {load1:.2f}, {others:.1f} "
            "other runnable threads): figures are not the idle ones",
            flush=True,
        )
    runs = measure(args)
    body = table(runs)
    cpus = len(os.sched_getaffinity(0))
    body += (
        f"\n\n{cpus} usable CPUs; load average {load1:.2f} before the first run. "
        f"Median of {args.repeat} fresh `mmbench run` processes per row "
        f"(`--limit {args.limit} --warmup {args.warmup}`); busy: one `python -c "
        f'"{BUSY}"` started 1 s before each run. old: `--threads '
        f"{runs[('old', 'idle')][0]['threads']['threads']} --workers 2` (torch's default "
        "threads, the task's workers); new: the thread policy, no flags.\n"
    )
    print(body)
    if args.write:
        if busy_machine and not args.force:
            sys.exit("not written: the machine was busy before the first run (see above)")
        command = "PYTHONPATH=$PWD python benchmarks/bench_contention.py " + " ".join(sys.argv[1:])
        write_section("Throughput on a busy machine (`benchmarks/bench_contention.py`)",
                      command, body)  # fmt: skip


if __name__ == "__main__":
    main()
