import pytest

from mmbench.profiling.profiler import Profiler
from mmbench.profiling.ranks import combine
from mmbench.results import validate


def rank_profile(latencies: list[float], n: int = 4) -> tuple[dict, list[float]]:
    """A real profile of batches of ``n`` samples taking ``latencies`` seconds each."""
    ticks = iter([t for lat in latencies for t in (0.0, lat)])
    p = Profiler(warmup=0, clock=lambda: next(ticks))
    for _ in latencies:
        with p.batch(n, audio_s=2.0) as rec:
            rec.count_outputs(["a b"] * n)
    return p.summary(), [b.latency_s for b in p.batches]


def test_rates_are_totals_over_the_slowest_rank():
    (a, la), (b, lb) = rank_profile([1.0, 1.0]), rank_profile([3.0])
    p = combine([a, b], [la, lb])
    assert p["measured_samples"] == 12 and p["measured_batches"] == 3
    assert p["measured_time_s"] == 3.0
    assert p["samples_per_s"] == pytest.approx(12 / 3.0)
    assert p["tokens"]["generated"] == 24 and p["tokens"]["per_s"] == pytest.approx(8.0)
    assert p["audio"] == {"seconds": 6.0, "rtfx": pytest.approx(2.0)}
    assert p["latency_s"]["max"] == 3.0 and p["latency_s"]["p50"] == 1.0


def test_every_rank_is_kept_and_memory_is_the_peak_over_ranks():
    (a, la), (b, lb) = rank_profile([1.0]), rank_profile([2.0])
    b["memory"]["host_peak_rss_bytes"] = a["memory"]["host_peak_rss_bytes"] + 1000
    p = combine([a, b], [la, lb])
    assert p["ranks"] == [a, b]
    assert p["memory"]["host_peak_rss_bytes"] == b["memory"]["host_peak_rss_bytes"]
    assert [r["rank"] for r in p["hardware"]["ranks"]] == [0, 1]
    assert all(r["device"] == "cpu" for r in p["hardware"]["ranks"])


def test_combined_profile_is_valid_in_a_results_record():
    (a, la), (b, lb) = rank_profile([1.0]), rank_profile([2.0])
    schema_profile = combine([a, b], [la, lb])
    record = {
        "schema_version": 1,
        "task": {"name": "t", "version": 1, "kind": "vqa"},
        "model": {"name": "m", "spec": "m", "fingerprint": "0" * 16, "parameters": None},
        "scores": {},
        "n_samples": 8,
        "n_errors": 0,
        "errors": [],
        "wall_time_s": 1.0,
        "environment": {"python": "3", "mmbench": "0", "device": "cpu"},
        "started_at": "x",
        "finished_at": "y",
        "profile": schema_profile,
    }
    validate(record)


def test_one_rank_is_returned_as_it_is():
    a, la = rank_profile([1.0])
    assert combine([a], [la]) == a


def test_a_contended_rank_marks_the_combined_profile():
    (a, la), (b, lb) = rank_profile([1.0]), rank_profile([2.0])
    if a["contention"] is None:
        pytest.skip("no contention reading on this machine")
    a["contention"] = dict(a["contention"], contended=False)
    b["contention"] = dict(b["contention"], contended=True, rule="rank 1 was contended")
    p = combine([a, b], [la, lb])
    assert p["contention"] == b["contention"]
    assert combine([a, a], [la, la])["contention"] == a["contention"]
