"""The CUDA branch of the profiler, driven through a recording stand-in for ``torch.cuda``.

No GPU here: this checks the *order* of calls (synchronize, events, peak-memory reset and
read) and that their values reach the profile; real CUDA numbers come from a GPU run
(benchmarks/gpu_profile.sh).
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from mmbench.profiling import profiler as profiler_mod  # noqa: E402


class FakeCuda:
    def __init__(self) -> None:
        self.calls: list[str] = []
        cuda = self

        class Event:
            def __init__(self, enable_timing: bool = False) -> None:
                assert enable_timing

            def record(self) -> None:
                cuda.calls.append("record")

            def elapsed_time(self, end: Event) -> float:
                return 250.0  # ms

        self.Event = Event

    def is_available(self) -> bool:
        return True

    def device_count(self) -> int:
        return 1

    def synchronize(self, device=None) -> None:
        self.calls.append("sync")

    def reset_peak_memory_stats(self, device=None) -> None:
        self.calls.append("reset")

    def max_memory_allocated(self, device=None) -> int:
        return 3 * 2**20

    def max_memory_reserved(self, device=None) -> int:
        return 4 * 2**20


def test_cuda_batches_are_synchronized_and_event_timed(monkeypatch):
    fake = FakeCuda()
    for name in ("is_available", "device_count", "synchronize", "reset_peak_memory_stats",
                 "max_memory_allocated", "max_memory_reserved", "Event"):  # fmt: skip
        monkeypatch.setattr(torch.cuda, name, getattr(fake, name))
    monkeypatch.setattr(profiler_mod, "fingerprint", lambda *a, **k: {"device": "cuda"})
    p = profiler_mod.Profiler(warmup=1, device="cuda")
    for _ in range(3):
        with p.batch(8):
            fake.calls.append("predict")
    s = p.summary()
    # warm-up batch, then the window opens (sync + reset) before the first measured batch
    assert fake.calls[:4] == ["sync", "record", "predict", "record"]
    assert fake.calls[4:7] == ["sync", "sync", "reset"]
    assert fake.calls[7:11] == ["sync", "record", "predict", "record"]
    assert fake.calls.count("predict") == 3 and fake.calls.count("reset") == 1
    assert s["timer"] == "cuda_events+synchronize"
    assert s["cuda_event_time_s"] == pytest.approx(0.5)  # two measured batches x 250 ms
    assert s["memory"]["cuda_max_allocated_bytes"] == 3 * 2**20
    assert s["memory"]["cuda_max_reserved_bytes"] == 4 * 2**20
    assert "cuda_na" not in s["memory"]
