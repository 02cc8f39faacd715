"""The thread policy: CPUs usable (affinity, cgroup quota), others' load, threads + workers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbench.profiling import contention, threads
from mmbench.profiling.threads import (
    cgroup_quota,
    choose_threads,
    parse_cpu_max,
    thread_policy,
    torch_threads,
    usable_cpus,
)


@pytest.mark.parametrize(
    ("affinity", "quota", "usable"),
    [(2, None, 2), (64, None, 64), (64, 4.0, 4), (64, 2.5, 2), (8, 16.0, 8), (4, 0.25, 1)],
)
def test_usable_cpus_is_affinity_capped_by_the_quota(affinity, quota, usable):
    assert usable_cpus(affinity, quota) == usable


@pytest.mark.parametrize(
    ("usable", "others", "decodes", "max_workers", "expected"),
    [
        # (threads, workers, cpus_free, cpus_wanted)
        (2, 0.0, True, 2, (2, 0, 2, 2)),  # idle 2-CPU machine: decode inline, 2 threads
        (2, 1.0, True, 2, (1, 0, 1, 2)),  # one busy competitor: 1 thread, never 2 + workers
        (2, 0.4, True, 2, (2, 0, 2, 2)),  # a background flicker is rounded away
        (2, 6.0, True, 2, (1, 0, 1, 2)),  # heavily loaded: still at least one thread
        (8, 0.0, True, 2, (6, 2, 8, 8)),  # one decode worker per 4 free CPUs
        (8, 3.0, True, 2, (4, 1, 5, 8)),
        (64, 0.0, True, 2, (62, 2, 64, 64)),  # workers capped by the task's maximum
        (64, 0.0, True, 8, (56, 8, 64, 64)),
        (8, 0.0, False, 2, (8, 0, 8, 8)),  # nothing to decode: no workers at all
        (4, None, True, 2, (3, 1, 4, 4)),  # others unknown (no /proc): assume idle
    ],
)
def test_policy_choice(usable, others, decodes, max_workers, expected):
    p = choose_threads(usable, others, decodes, max_workers)
    assert (p.threads, p.workers, p.cpus_free, p.cpus_wanted) == expected
    assert p.source == "auto" and f"{p.cpus_free} free of {usable}" in p.reason
    assert p.threads + p.workers <= max(1, p.cpus_free)  # never oversubscribed by itself


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"threads": 3}, (3, 0)),
        ({"threads": 1, "workers": 4}, (1, 4)),
        ({"workers": 1}, (1, 1)),  # workers given: threads are the free CPUs left
        ({"workers": 3}, (1, 3)),
    ],
)
def test_user_choice_wins(given, expected):
    p = choose_threads(2, 1.0, True, 2, **given)
    assert (p.threads, p.workers) == expected
    assert p.source == "user" and all(f"--{k} {v}" in p.reason for k, v in given.items())


def test_workers_are_dropped_when_nothing_is_decoded():
    assert choose_threads(8, 0.0, decodes_media=False, workers=4).workers == 0


@pytest.mark.parametrize(
    ("text", "cpus"), [("max 100000\n", None), ("200000 100000\n", 2.0), ("50000 100000", 0.5)]
)
def test_parse_cpu_max(text, cpus):
    assert parse_cpu_max(text) == cpus


def test_cgroup_quota_v2_v1_and_none(tmp_path: Path):
    v2 = tmp_path / "v2"
    v2.mkdir()
    (v2 / "cpu.max").write_text("300000 100000\n")
    assert cgroup_quota(v2) == 3.0
    v1 = tmp_path / "v1" / "cpu,cpuacct"
    v1.mkdir(parents=True)
    (v1 / "cpu.cfs_quota_us").write_text("150000\n")
    (v1 / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_quota(tmp_path / "v1") == 1.5
    (v1 / "cpu.cfs_quota_us").write_text("-1\n")  # v1's "no quota"
    assert cgroup_quota(tmp_path / "v1") is None
    assert cgroup_quota(tmp_path / "nothing") is None


def test_thread_policy_reads_affinity_quota_and_others(monkeypatch):
    monkeypatch.setattr(threads, "affinity_cpus", lambda: 16)
    monkeypatch.setattr(threads, "cgroup_quota", lambda: 4.0)
    monkeypatch.setattr(contention, "runnable_others", lambda samples=5: 1.2)
    p = thread_policy(decodes_media=True, max_workers=2)
    assert (p.cpus_affinity, p.cpu_quota, p.cpus_usable, p.others) == (16, 4.0, 4, 1.2)
    assert (p.threads, p.workers, p.cpus_free) == (3, 0, 3)
    assert "1 busy with other processes" in p.reason


def test_others_on_a_bigger_machine_count_by_their_share(monkeypatch):
    monkeypatch.setattr(threads, "affinity_cpus", lambda: 4)  # 4 of 32 CPUs are ours
    monkeypatch.setattr(threads, "cgroup_quota", lambda: None)
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 32)
    monkeypatch.setattr(contention, "runnable_others", lambda samples=5: 16.0)
    p = thread_policy(decodes_media=False)
    assert (p.others, p.cpus_free, p.threads) == (2.0, 2, 2)


def test_torch_threads_sets_and_restores():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    with torch_threads(1) as n:
        assert n == torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("a failing run restores the count too")
    assert torch.get_num_threads() == before


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("n", [1, 3])
def test_threads_flag_reaches_torch_inside_predict(n, tmp_path, monkeypatch):
    """``mmbench run --threads N``: predict sees N torch threads; the count is restored after."""
    torch = pytest.importorskip("torch")
    from mmbench.cli import main

    monkeypatch.syspath_prepend(str(ROOT))
    before = torch.get_num_threads()
    args = ["run", "--model", "tests.fixtures.torch_models:make_thread_probe", "--task", "easyvqa"]
    code = main([*args, "--limit", "20", "--threads", str(n), "--no-progress",
                 "--bootstrap", "0", "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    (path,) = (tmp_path / "predictions").rglob("*.jsonl")
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]  # after the header
    assert len(lines) == 20 and {rec["prediction"] for rec in lines} == {str(n)}
    rec = json.loads((tmp_path / "results" / "easyvqa__thread-probe.json").read_text())
    assert rec["profile"]["threads"]["threads"] == rec["profile"]["hardware"]["torch_threads"] == n
    assert rec["profile"]["threads"]["source"] == "user"
    assert torch.get_num_threads() == before


def test_profile_sweep_records_threads_and_marks_contention(tmp_path, monkeypatch, capsys):
    pytest.importorskip("torch")
    from mmbench.cli import main
    from mmbench.cli._table import CONTENDED_MARK

    monkeypatch.syspath_prepend(str(ROOT))
    args = ["profile", "--model", "tests.fixtures.torch_models:make_linear", "--task", "easyvqa"]
    code = main([*args, "--batch-sizes", "2,4", "--limit", "8", "--warmup", "1",
                 "--threads", "2", "--out", str(tmp_path)])  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    rec = json.loads((tmp_path / "profile" / "easyvqa__linear-64x8__cpu-fp32.json").read_text())
    for point in rec["points"]:
        assert (point["threads"]["threads"], point["threads"]["source"]) == (2, "user")
        assert point["contention"]["wall_s"] > 0
    marked = [p["contention"]["contended"] for p in rec["points"]]
    assert out.count(CONTENDED_MARK) == sum(marked) + any(marked)  # each cell, and the note
