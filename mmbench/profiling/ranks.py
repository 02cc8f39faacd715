"""One profile from the profiles of several ranks (torchrun workers or ``--shard`` jobs).

The ranks ran side by side, so the run took as long as its slowest rank: the aggregate
samples/s (tokens/s, RTFx) is the total over all ranks divided by the slowest rank's
measured time. Latency percentiles are over every rank's measured batches; phases and peak
memory are the maximum over ranks. Every rank's own profile is kept under ``ranks`` and the
hardware fingerprint lists every rank's device. ``threads`` is rank 0's thread policy;
``contention`` is that of the first contended rank (rank 0's when none was), so a number
measured under contention on any rank is marked.

>>> from mmbench.profiling.profiler import Profiler
>>> def rank(seconds):  # one batch of 10 samples taking ``seconds``
...     ticks = iter([0.0, seconds])
...     p = Profiler(warmup=0, clock=lambda: next(ticks))
...     with p.batch(10): pass
...     return p.summary(), [b.latency_s for b in p.batches]
>>> (a, lat_a), (b, lat_b) = rank(2.0), rank(4.0)
>>> p = combine([a, b], [lat_a, lat_b])
>>> p["samples_per_s"], p["latency_s"]["max"], len(p["ranks"])  # 20 samples / 4 s
(5.0, 4.0, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mmbench.profiling.profiler import PERCENTILES

#: Hardware facts listed per rank (the rest describe rank 0's machine).
RANK_HARDWARE = ("device", "gpu_used", "cpu_model", "cpu_threads", "torch_threads")


def _latency(latencies: Sequence[Sequence[float]]) -> dict[str, float] | None:
    lat = np.asarray([x for rank in latencies for x in rank], dtype=np.float64)
    if not lat.size:
        return None
    return {f"p{q}": float(np.percentile(lat, q)) for q in PERCENTILES} | {
        "mean": float(lat.mean()),
        "max": float(lat.max()),
    }


def _memory(profiles: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    windows = [p["memory"] for p in profiles if p.get("memory")]
    if not windows:
        return None

    def peak(key: str) -> int | None:
        values = [w[key] for w in windows if w.get(key) is not None]
        return max(values) if values else None

    out = dict(windows[0])
    out["host_peak_rss_bytes"] = peak("host_peak_rss_bytes")
    out["host_peak_rss_scope"] = (
        "window" if all(w["host_peak_rss_scope"] == "window" for w in windows) else "process"
    )
    out["cuda_max_allocated_bytes"] = peak("cuda_max_allocated_bytes")
    out["cuda_max_reserved_bytes"] = peak("cuda_max_reserved_bytes")
    return out


def combine(profiles: Sequence[dict[str, Any]], latencies: Sequence[Sequence[float]]) -> dict:
    """The run's profile from each rank's :meth:`Profiler.summary` (rank order) and each
    rank's measured batch latencies; a single profile is returned as it is."""
    if len(profiles) == 1:
        return dict(profiles[0])
    slowest = max(p["measured_time_s"] for p in profiles)
    rate = (lambda x: x / slowest) if slowest > 0 else (lambda x: None)
    n = sum(p["measured_samples"] for p in profiles)
    tokens = [p["tokens"] for p in profiles]
    audio = [p["audio"] for p in profiles if p.get("audio")]
    audio_s = sum(a["seconds"] for a in audio)
    phases: dict[str, float] = {}
    for p in profiles:
        for key, value in p["phases_s"].items():
            phases[key] = max(phases.get(key, 0.0), value)
    flops = next((p["flops"] for p in profiles if p["flops"].get("na") is None), None)
    hardware = dict(profiles[0]["hardware"])
    hardware["ranks"] = [
        {"rank": r} | {k: p["hardware"].get(k) for k in RANK_HARDWARE}
        for r, p in enumerate(profiles)
    ]
    out = dict(profiles[0])
    out.update(
        warmup_batches=sum(p["warmup_batches"] for p in profiles),
        measured_batches=sum(p["measured_batches"] for p in profiles),
        measured_samples=n,
        measured_time_s=slowest,
        samples_per_s=rate(n),
        latency_s=_latency(latencies),
        tokens={
            "generated": sum(t["generated"] for t in tokens),
            "per_s": rate(sum(t["generated"] for t in tokens)),
            "source": "model" if all(t["source"] == "model" for t in tokens) else "whitespace",
        },
        audio={"seconds": audio_s, "rtfx": rate(audio_s)} if audio else None,
        phases_s=phases,
        memory=_memory(profiles),
        flops=flops or profiles[0]["flops"],
        hardware=hardware,
        ranks=[dict(p) for p in profiles],
    )
    contended = [p["contention"] for p in profiles if (p.get("contention") or {}).get("contended")]
    if contended:
        out["contention"] = contended[0]
    if any("cuda_event_time_s" in p for p in profiles):
        out["cuda_event_time_s"] = max(p.get("cuda_event_time_s", 0.0) for p in profiles)
    return out
