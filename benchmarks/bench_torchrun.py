"""Speed-up of a reference model from 1 to 2 processes (torchrun, gloo) on this machine.

Runs ``mmbench run`` on the same samples three ways, each in a fresh output folder:
1 process with 2 torch threads, 1 process with 1 thread, and ``torchrun --nproc-per-node 2``
with 1 thread per rank (``OMP_NUM_THREADS=1``: 2 processes x 1 thread = the 2 cores).
Reports the wall time of the whole command (start-up, reading, prediction, scoring) and the
record's samples/s (for torchrun: all samples / the slowest rank's measured time), and
checks that the scores are identical. Run it on an idle machine:

    PYTHONPATH=$PWD python benchmarks/bench_torchrun.py --limit 2000 --append
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import append_results  # noqa: E402


def run(launch: list[str], threads: int, args: list[str], out: Path) -> tuple[float, dict]:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    cmd = [*launch, "run", "--no-progress", "--bootstrap", "0", "--out", str(out), *args]
    start = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    (path,) = (out / "results").glob("*.json")
    return wall, json.loads(path.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="ref-gated")
    parser.add_argument("--task", default="easyvqa")
    parser.add_argument("--limit", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--append", action="store_true", help="add the table to RESULTS.md")
    opts = parser.parse_args()
    args = ["--model", opts.model, "--task", opts.task, "--limit", str(opts.limit)]
    args += ["--batch-size", str(opts.batch_size)]
    py = [sys.executable, "-m", "mmbench"]
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    setups = [
        ("1 process, 2 threads", py, 2),
        ("1 process, 1 thread", py, 1),
        ("torchrun 2 processes, 1 thread each", [*torchrun, "--nproc-per-node=2", *py[1:]], 1),
    ]
    rows, scores = [], []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        # warm the data root and the OS file cache once, untimed
        run(py, 2, [*args[:4], "--limit", "64"], Path(tmp) / "warm")
        for i, (label, launch, threads) in enumerate(setups):
            wall, rec = run(launch, threads, args, Path(tmp) / str(i))
            scores.append({k: v["value"] for k, v in rec["scores"].items()})
            rows.append((label, wall, rec["profile"]["samples_per_s"]))
    assert all(s == scores[0] for s in scores), f"scores differ across setups: {scores}"
    base_wall, base_sps = rows[0][1], rows[0][2]
    lines = [
        "| setup | wall s (whole command) | samples/s (measured) | speed-up (wall / samples/s) |",
        "|---|---:|---:|---:|",
    ]
    for label, wall, sps in rows:
        speed_up = f"{base_wall / wall:.2f}x / {sps / base_sps:.2f}x"
        lines.append(f"| {label} | {wall:.1f} | {sps:,.1f} | {speed_up} |")
    body = "\n".join(lines) + (
        f"\n\n{opts.model} on {opts.task}, {opts.limit} samples, batch {opts.batch_size}, "
        f"{os.cpu_count()} CPU cores; speed-up is against 1 process with 2 threads; 1-minute "
        f"load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after; "
        f"scores identical in every setup: {scores[0]}"
    )
    print(body)
    if opts.append:
        append_results("torchrun: 1 vs 2 CPU processes (`benchmarks/bench_torchrun.py`)", body)


if __name__ == "__main__":
    main()
