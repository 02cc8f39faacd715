"""Profiler arithmetic on injected timings (a fake clock), warm-up, tokens, RTFx, memory."""

from __future__ import annotations

import numpy as np
import pytest

from mmbench.profiling import DeviceUnavailable, Profiler, model_phase, report_tokens


class FakeClock:
    """Advances only when told: ``clock.tick(s)`` inside a timed block."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += seconds


def run_batches(profiler: Profiler, clock: FakeClock, latencies, sizes, audio=None) -> None:
    audio = audio or [0.0] * len(latencies)
    for lat, n, a in zip(latencies, sizes, audio, strict=True):
        with profiler.batch(n, audio_s=a):
            clock.tick(lat)


def test_percentiles_and_samples_per_s_on_fake_clock():
    clock = FakeClock()
    p = Profiler(warmup=0, clock=clock)
    run_batches(p, clock, [float(x) for x in range(1, 11)], [4] * 10)
    s = p.summary()
    # linear interpolation over 1..10 s: p50 = 5.5, p90 = 9.1, p99 = 9.91
    assert s["latency_s"]["p50"] == pytest.approx(5.5)
    assert s["latency_s"]["p90"] == pytest.approx(9.1)
    assert s["latency_s"]["p99"] == pytest.approx(9.91)
    assert s["latency_s"]["max"] == pytest.approx(10.0)
    assert s["measured_time_s"] == pytest.approx(55.0)
    assert s["samples_per_s"] == pytest.approx(40 / 55)
    assert s["timer"] == "perf_counter"


def test_warmup_batches_are_excluded_from_every_rate():
    clock = FakeClock()
    p = Profiler(warmup=2, clock=clock)
    # two slow warm-up batches with audio, then three measured ones
    run_batches(
        p, clock, [50.0, 40.0, 1.0, 2.0, 3.0], [8, 8, 2, 2, 2], audio=[99.0, 99.0, 3.0, 3.0, 6.0]
    )
    s = p.summary()
    assert (s["warmup_batches"], s["measured_batches"], s["measured_samples"]) == (2, 3, 6)
    assert s["latency_s"]["max"] == pytest.approx(3.0)
    assert s["latency_s"]["p50"] == pytest.approx(2.0)
    assert s["samples_per_s"] == pytest.approx(6 / 6.0)
    assert s["audio"]["seconds"] == pytest.approx(12.0)
    # phase totals still cover the whole run, warm-up included
    assert s["phases_s"]["predict"] == pytest.approx(96.0)


def test_rtfx_is_audio_seconds_over_model_seconds():
    clock = FakeClock()
    p = Profiler(warmup=0, clock=clock)
    run_batches(p, clock, [0.5, 1.5], [4, 4], audio=[30.0, 50.0])
    s = p.summary()
    assert s["audio"] == {"seconds": pytest.approx(80.0), "rtfx": pytest.approx(40.0)}


def test_no_audio_means_null_audio():
    clock = FakeClock()
    p = Profiler(warmup=0, clock=clock)
    run_batches(p, clock, [1.0], [1])
    assert p.summary()["audio"] is None


def test_plan_measures_at_least_half_of_the_batches():
    p = Profiler(warmup=10)
    assert p.plan(4) == 2
    assert p.plan(7) == 3  # 100 samples in batches of 16: 4 measured, not only the last
    assert p.plan(1) == 0
    assert p.plan(21) == 10
    assert p.plan(50) == 10
    with pytest.raises(ValueError, match="warmup"):
        Profiler(warmup=-1)


def test_tokens_whitespace_unless_model_reports():
    clock = FakeClock()
    p = Profiler(warmup=0, clock=clock)
    with p.batch(2) as rec:
        clock.tick(2.0)
        rec.count_outputs(["a red circle", "yes", None])
    s = p.summary()
    assert s["tokens"] == {"generated": 4, "per_s": pytest.approx(2.0), "source": "whitespace"}

    p = Profiler(warmup=0, clock=clock)
    with p.batch(2) as rec:
        report_tokens(7)
        report_tokens(3)
        clock.tick(5.0)
        rec.count_outputs(["a red circle"])
    s = p.summary()
    assert s["tokens"] == {"generated": 10, "per_s": pytest.approx(2.0), "source": "model"}


def test_model_phases_are_attributed_inside_predict():
    clock = FakeClock()
    p = Profiler(warmup=0, clock=clock)
    with p.batch(1):
        with model_phase("preprocess"):
            clock.tick(0.25)
        with model_phase("forward"):
            clock.tick(1.0)
    phases = p.summary()["phases_s"]
    assert phases["predict.preprocess"] == pytest.approx(0.25)
    assert phases["predict.forward"] == pytest.approx(1.0)
    assert phases["predict"] == pytest.approx(1.25)
    report_tokens(3)  # outside a batch: ignored, no error
    with model_phase("forward"):
        pass


def test_memory_fields_present_and_sane_on_cpu():
    p = Profiler(warmup=1)
    with p.batch(1):
        pass
    with p.batch(1):
        before = p._memory.host_peak
        block = np.ones(64 * 2**20, dtype=np.uint8)  # 64 MiB touched inside the window
        assert block.sum() > 0
    mem = p.summary()["memory"]
    del block
    assert mem["host_peak_rss_scope"] in ("window", "process")
    assert mem["host_peak_rss_bytes"] >= before + 60 * 2**20
    assert mem["host_peak_rss_bytes"] < 64 * 2**30
    assert mem["cuda_max_allocated_bytes"] is None and mem["cuda_max_reserved_bytes"] is None
    assert "not CUDA" in mem["cuda_na"]


def test_cuda_is_never_faked_on_a_cpu_build():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    with pytest.raises(DeviceUnavailable, match="is_available"):
        Profiler(device="cuda")
    hw = Profiler().summary()["hardware"]
    assert hw["gpu_count"] == 0 and hw["gpu_na"]
