"""Synchronized timing of a run: phases, per-batch latency, throughput, tokens, RTFx.

The runner wraps each stage in :meth:`Profiler.phase` (``read``, ``load``, ``store``,
``score``) and each model call in :meth:`Profiler.batch`. The first ``warmup`` batches are
excluded from latency, throughput, tokens/s, RTFx and peak memory (their predictions still
count). On CUDA every batch is bracketed by ``torch.cuda.synchronize()`` and a pair of CUDA
events, so queued kernels are never billed to the wrong batch; on CPU ``perf_counter`` is
used. Injecting ``clock`` makes the arithmetic testable.

Adapters may attribute time inside ``predict`` with :func:`model_phase` (``preprocess``,
``forward``, ``generate``, ``postprocess``...) and report exact generated token counts with
:func:`report_tokens`; both are no-ops outside a profiled batch.

>>> ticks = iter([0.0, 1.0, 1.0, 3.0])
>>> p = Profiler(warmup=0, clock=lambda: next(ticks))
>>> with p.batch(4): pass
>>> with p.batch(4): pass
>>> p.summary()["samples_per_s"]  # 8 samples in 1 s + 2 s
2.6666666666666665
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmbench.profiling.compute import count_flops, flops_na, module_dtype, torch_module
from mmbench.profiling.contention import CpuReading, assess, read_cpu
from mmbench.profiling.hardware import fingerprint, require_device
from mmbench.profiling.memory import MemoryWindow, is_cuda
from mmbench.profiling.threads import ThreadPolicy, affinity_cpus, cgroup_quota, usable_cpus

#: Warm-up batches excluded from timing, as open_asr_leaderboard's ``--warmup_steps``.
DEFAULT_WARMUP = 10
PERCENTILES = (50, 90, 99)

#: The profiler and batch record of the model call in progress (for the model-side hooks).
_CURRENT: contextvars.ContextVar[tuple[Profiler, BatchRecord] | None] = contextvars.ContextVar(
    "mmbench_profiler", default=None
)


@dataclass
class BatchRecord:
    """One model call: its size, latency and what it produced."""

    n_samples: int
    audio_s: float = 0.0
    measured: bool = True
    latency_s: float = 0.0
    cuda_s: float | None = None
    words: int = 0
    model_tokens: int | None = None

    def count_outputs(self, texts: Sequence[str | None]) -> None:
        """Count whitespace tokens of the outputs (used when the model reports none)."""
        self.words += sum(len(t.split()) for t in texts if t)


@dataclass
class Profiler:
    """Collects phase times, batch records, peak memory and FLOPs for one model on one task."""

    warmup: int = DEFAULT_WARMUP
    device: str = "cpu"
    clock: Callable[[], float] = time.perf_counter
    phases: dict[str, float] = field(default_factory=dict)
    batches: list[BatchRecord] = field(default_factory=list)
    flops: dict[str, Any] | None = None
    effective_warmup: int | None = None
    #: the run's thread policy, recorded in the profile and used by the contention rule
    threads: ThreadPolicy | None = None

    def __post_init__(self) -> None:
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0, got {self.warmup}")
        require_device(self.device)
        self._cuda = is_cuda(self.device)
        self._memory = MemoryWindow(self.device)
        self._window_open = self._window_closed = False
        self._cpu: list[CpuReading] = []  # at the measured window's start and end

    # --- planning -----------------------------------------------------------------
    def plan(self, n_batches: int) -> int:
        """Cap the warm-up at half of ``n_batches`` (rounded down), so at least half of them
        are measured; returns the warm-up.

        A short run would otherwise be timed on its last batch alone, often a partial one:
        100 samples in batches of 16 with 10 warm-up batches timed only the final 4 samples.

        >>> Profiler(warmup=10).plan(7), Profiler(warmup=10).plan(50)
        (3, 10)
        """
        self.effective_warmup = max(0, min(self.warmup, n_batches // 2))
        return self.effective_warmup

    @property
    def _warmup(self) -> int:
        return self.warmup if self.effective_warmup is None else self.effective_warmup

    def next_is_measured(self) -> bool:
        return len(self.batches) >= self._warmup

    # --- timing -------------------------------------------------------------------
    def _sync(self) -> None:
        if self._cuda:
            import torch

            torch.cuda.synchronize(self.device)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Accumulate the wall time of a block under ``name`` (totals include warm-up)."""
        start = self.clock()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + (self.clock() - start)

    @contextmanager
    def batch(self, n_samples: int, audio_s: float = 0.0) -> Iterator[BatchRecord]:
        """Time one model call over ``n_samples`` (``audio_s`` seconds of audio in it).

        Also accumulated in the ``predict`` phase. On CUDA the block is bracketed by
        ``torch.cuda.synchronize()`` and two CUDA events. If the block raises, nothing is
        recorded. :meth:`timed_call` adds FLOP counting on top.
        """
        rec = BatchRecord(n_samples, float(audio_s), measured=self.next_is_measured())
        if rec.measured and not self._window_open:
            self._memory.start()
            self._cpu = [read_cpu()]
            self._window_open = True
        events = None
        if self._cuda:
            import torch

            events = (torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
            torch.cuda.synchronize(self.device)
            events[0].record()
        token = _CURRENT.set((self, rec))
        start = self.clock()
        try:
            yield rec
        finally:
            _CURRENT.reset(token)
        if events is not None:
            events[1].record()
            self._sync()
            rec.cuda_s = events[0].elapsed_time(events[1]) / 1000.0  # ms -> s
        rec.latency_s = self.clock() - start
        self.phases["predict"] = self.phases.get("predict", 0.0) + rec.latency_s
        self.batches.append(rec)

    def close(self) -> None:
        """End the measured window: read the peak-memory counters (once, not per batch).

        Call it right after the last batch so later work (scoring) is not counted;
        :meth:`summary` calls it if nobody did.
        """
        if self._window_open and not self._window_closed:
            self._memory.sample()
            self._cpu.append(read_cpu())
            self._window_closed = True

    def wants_flops(self, model: Any) -> bool:
        """True while FLOPs are still to be counted and ``model`` is a torch model."""
        return self.flops is None and torch_module(model) is not None

    def timed_call(
        self,
        model: Any,
        call: Callable[[], Any],
        n_samples: int,
        audio_s: float = 0.0,
        flops: bool = True,
        count_call: Callable[[], Any] | None = None,
    ) -> tuple[Any, BatchRecord]:
        """Run ``call()`` (one ``predict`` of ``n_samples``) as a timed batch.

        While FLOPs are wanted (``flops`` and a torch model), they are counted under
        FlopCounterMode on ``count_call()`` (default ``call``; give the bare
        ``model.predict`` when ``call`` recovers from errors, so a failure under the counter
        is seen instead of leaving a partial count): on this call when it is a warm-up batch;
        when it is measured, on one extra untimed call first (its outputs discarded), so the
        counter never slows a measured batch. If the counted call raises, FLOPs are recorded
        as not available with the error, and ``call()`` makes the batch's outputs.
        """
        counting = flops and self.wants_flops(model)
        if counting and self.next_is_measured():
            self._count(model, count_call or call, n_samples)
            counting = False
        with self.batch(n_samples, audio_s) as rec:
            result = self._count(model, count_call or call, n_samples) if counting else None
            if result is None:
                result = call()
        return result, rec

    def _count(self, model: Any, call: Callable[[], Any], n_samples: int) -> Any:
        """``call()``'s result with ``self.flops`` counted, or None (and FLOPs not available,
        with the reason) when it raised."""
        try:
            result, self.flops = count_flops(model, call, n_samples)
        except Exception as exc:
            self.flops = flops_na(model, f"predict raised under FlopCounterMode: {exc!r}"[:300])
            return None
        return result

    # --- model-side hooks (via the context variable) --------------------------------
    def _model_phase(self, name: str) -> Iterator[None]:
        self._sync()
        start = self.clock()
        try:
            yield
        finally:
            self._sync()
            key = f"predict.{name}"
            self.phases[key] = self.phases.get(key, 0.0) + (self.clock() - start)

    # --- results --------------------------------------------------------------------
    def summary(
        self, model: Any = None, compiled: bool = False, dtype: str | None = None
    ) -> dict[str, Any]:
        """JSON-ready profile (the ``profile`` object of a results record)."""
        self.close()
        measured = [b for b in self.batches if b.measured]
        lat = np.asarray([b.latency_s for b in measured], dtype=np.float64)
        n = int(sum(b.n_samples for b in measured))
        total = float(lat.sum())
        rate = (lambda x: x / total) if total > 0 else (lambda x: None)
        model_counted = bool(measured) and all(b.model_tokens is not None for b in measured)
        tokens = sum((b.model_tokens or 0) if model_counted else b.words for b in measured)
        audio_s = float(sum(b.audio_s for b in measured))
        module = torch_module(model) if model is not None else None
        out: dict[str, Any] = {
            "device": self.device,
            "timer": "cuda_events+synchronize" if self._cuda else "perf_counter",
            "warmup_batches_requested": self.warmup,
            "warmup_batches": len(self.batches) - len(measured),
            "measured_batches": len(measured),
            "measured_samples": n,
            "measured_time_s": total,
            "samples_per_s": rate(n),
            "latency_s": (
                {f"p{q}": float(np.percentile(lat, q)) for q in PERCENTILES}
                | {"mean": float(lat.mean()), "max": float(lat.max())}
                if lat.size
                else None
            ),
            "tokens": {
                "generated": int(tokens),
                "per_s": rate(tokens),
                "source": "model" if model_counted else "whitespace",
            },
            "audio": {"seconds": audio_s, "rtfx": rate(audio_s)} if audio_s > 0 else None,
            "phases_s": dict(self.phases),
            "memory": self._memory.result() if self._window_open else None,
            "flops": self.flops
            if self.flops is not None
            else flops_na(model, self._flops_reason(model)),
            "hardware": fingerprint(
                self.device,
                dtype or (module_dtype(module) if module is not None else None),
                compiled,
            ),
        }
        out["threads"] = self.threads.to_json() if self.threads is not None else None
        out["contention"] = self._contention()
        if self._cuda:
            out["cuda_event_time_s"] = float(sum(b.cuda_s or 0.0 for b in measured))
        return out

    def _contention(self) -> dict[str, Any] | None:
        """CPU contention over the measured window (None when nothing was measured)."""
        if len(self._cpu) != 2:
            return None
        if self.threads is not None:
            usable, wanted = self.threads.cpus_usable, self.threads.cpus_wanted
        else:  # no policy given: assume the run wanted every usable CPU
            usable = wanted = usable_cpus(affinity_cpus(), cgroup_quota())
        online = os.cpu_count() or usable
        return assess(self._cpu[0], self._cpu[1], usable, wanted, online).to_json()

    def _flops_reason(self, model: Any) -> str | None:
        if model is not None and torch_module(model) is not None:
            return "no batch was predicted in this run (all samples resumed from the store)"
        return None


@contextmanager
def model_phase(name: str) -> Iterator[None]:
    """Attribute the time of a block inside ``predict`` to ``predict.<name>``.

    >>> with model_phase("forward"): pass   # outside a profiled batch: does nothing
    """
    current = _CURRENT.get()
    if current is None:
        yield
        return
    yield from current[0]._model_phase(name)


def report_tokens(n: int) -> None:
    """Tell the profiler how many tokens ``predict`` generated for the current batch.

    Without it, tokens/s counts whitespace-separated words of the outputs.
    """
    current = _CURRENT.get()
    if current is not None:
        rec = current[1]
        rec.model_tokens = (rec.model_tokens or 0) + int(n)
