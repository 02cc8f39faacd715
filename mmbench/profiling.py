"""Timing of a run: per-phase wall time, per-batch latency percentiles, samples/s.

The runner records every batch; the first ``warmup`` batches are excluded from latency and
throughput. Injecting ``clock`` makes the arithmetic testable.

>>> ticks = iter([0.0, 1.0, 1.0, 3.0])
>>> p = Profiler(warmup=0, clock=lambda: next(ticks))
>>> with p.batch(4): pass
>>> with p.batch(4): pass
>>> p.summary()["samples_per_s"]
2.6666666666666665
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Profiler:
    """Collects phase times and batch latencies for one model on one task."""

    warmup: int = 0
    clock: Callable[[], float] = time.perf_counter
    phases: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Accumulate the wall time of a block under ``name`` (load, predict, score...)."""
        start = self.clock()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + (self.clock() - start)

    @contextmanager
    def batch(self, n_samples: int) -> Iterator[None]:
        """Time one model call over ``n_samples``; also counted in the ``predict`` phase."""
        start = self.clock()
        try:
            yield
        finally:
            elapsed = self.clock() - start
            self.phases["predict"] = self.phases.get("predict", 0.0) + elapsed
            self.latencies.append(elapsed)
            self.batch_sizes.append(n_samples)

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers; latency percentiles in seconds per batch."""
        lat = np.asarray(self.latencies[self.warmup :], dtype=np.float64)
        sizes = np.asarray(self.batch_sizes[self.warmup :], dtype=np.int64)
        out: dict[str, Any] = {
            "phases_s": dict(self.phases),
            "warmup_batches": min(self.warmup, len(self.latencies)),
            "measured_batches": int(lat.size),
            "measured_samples": int(sizes.sum()),
        }
        if lat.size and lat.sum() > 0:
            out["samples_per_s"] = float(sizes.sum() / lat.sum())
            for q in (50, 90, 99):
                out[f"latency_p{q}_s"] = float(np.percentile(lat, q))
        else:
            out["samples_per_s"] = None
        return out
