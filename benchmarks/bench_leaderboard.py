"""A leaderboard of 50 models x 13 tasks (synthetic results + sample logs): build time and
HTML size. Target (issue #12): <= 3 s on this machine, index.html <= 2 MB without media.

Run: PYTHONPATH=$PWD:$PWD/tests python benchmarks/bench_leaderboard.py [--rescore] [--append]
The inputs (6 VQA, 5 ASR and 2 captioning tasks, 200 samples each, real metrics and
records; see tests/report/synthetic.py) are generated once, outside the timing, with the
1000-resample CIs of ``mmbench run``, whose bootstrap resamples the logs keep (``--rescore``:
logs without them, as written before, so the board rescores every resample); the timed
part is what ``mmbench leaderboard DIR --out OUT`` does after start-up: read and check 650
results files and logs, 1000-resample paired bootstrap over 1,225 pairs per task, Holm,
tables, plots and the page. Best of 3 (wall), with the CPU seconds of each build (all
threads, and the worker processes that rank columns and draw plots) beside it: on a shared
machine only the CPU time means something.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from report.synthetic import template_record, write_inputs

from benchmarks._common import append_results
from mmbench.metrics.bootstrap import DEFAULT_RESAMPLES
from mmbench.report.inputs import collect
from mmbench.report.output import write_board

TASKS = (
    [(f"vqa_{i}", "vqa") for i in range(6)]
    + [(f"asr_{i}", "asr") for i in range(5)]
    + [(f"caption_{i}", "caption") for i in range(2)]
)


def cpu_time() -> float:
    """CPU seconds of this process (all threads) and of its finished worker processes."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def stages(runs: Path) -> None:
    """Wall and CPU seconds of each stage of one build: reading, ranking by task kind,
    plots, page."""
    from mmbench.report.board import build_board
    from mmbench.report.html import render_html
    from mmbench.report.plots import task_plots
    from mmbench.report.tables import markdown, to_csv_text, to_json_text

    def cpu(name, fn):
        start, start_cpu = time.perf_counter(), cpu_time()
        out = fn()
        wall = time.perf_counter() - start
        print(f"  {name}: {cpu_time() - start_cpu:.2f} CPU s, {wall:.2f} s wall")
        return out

    found = cpu("read and check results files and logs", lambda: collect([runs]))
    for kind in ("vqa", "asr", "caption"):
        names = [t for t, k in TASKS if k == kind]
        cpu(f"rank the {kind} columns", lambda names=names: build_board(found, tasks=names))
    found = collect([runs])  # fresh logs: nothing computed yet
    board = build_board(found)
    cpu("task plots", lambda: task_plots(board))
    cpu("page without plots", lambda: render_html(board, plots=False))
    cpu("Markdown, CSV, JSON", lambda: (markdown(board), to_csv_text(board), to_json_text(board)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--append", action="store_true", help="append to RESULTS.md")
    parser.add_argument("--stages", action="store_true", help="also CPU seconds per stage")
    parser.add_argument(
        "--rescore",
        action="store_true",
        help="logs without their runs' bootstrap resamples (as written before mmbench kept "
        "them): the board rescores every resample",
    )
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-leaderboard-"))
    models = [f"family{k % 5}-model{k:02d}" for k in range(args.models)]
    write_inputs(
        root / "runs",
        template_record(root / "tpl"),
        models,
        TASKS,
        n_samples=args.samples,
        n_resamples=DEFAULT_RESAMPLES,  # as `mmbench run`: the logs keep these resamples
        keep_resamples=not args.rescore,
    )
    times, cpu = [], []
    for k in range(args.repeat):
        start, start_cpu = time.perf_counter(), cpu_time()
        write_board(collect([root / "runs"]), root / f"out{k}")
        times.append(time.perf_counter() - start)
        cpu.append(cpu_time() - start_cpu)
    if args.stages:
        stages(root / "runs")
    html = (root / "out0" / "index.html").stat().st_size
    kept = "logs without resamples (rescored)" if args.rescore else "logs with their resamples"
    body = (
        f"{args.models} models x {len(TASKS)} tasks x {args.samples} samples, {kept}: build "
        f"{min(times):.2f} s (best of {args.repeat}; all {', '.join(f'{t:.2f}' for t in times)};"
        f" CPU {', '.join(f'{t:.2f}' for t in cpu)} s)"
        f", index.html {html / 1e6:.2f} MB"
    )
    print(body)
    if args.append:
        append_results("Leaderboard build, 50 models x 13 tasks", body)


if __name__ == "__main__":
    main()
