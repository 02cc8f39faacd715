"""Shared helpers of the benchmark scripts: environment line, results appending."""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def machine() -> str:
    import torch

    from mmbench.profiling.hardware import cpu_model

    return (
        f"{cpu_model()}, {torch.get_num_threads()} torch threads, torch {torch.__version__}, "
        f"python {platform.python_version()}"
    )


def best_of(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` wall-clock timings of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def append_results(title: str, body: str) -> None:
    """Append a section with the exact command line to RESULTS.md."""
    cmd = "PYTHONPATH=$PWD python " + " ".join(
        ["benchmarks/" + Path(sys.argv[0]).name, *sys.argv[1:]]
    )
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = f"\n## {title}\n\n{when} · {machine()}\n\n```bash\n{cmd}\n```\n\n{body.rstrip()}\n"
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(text)
