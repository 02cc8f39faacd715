"""Contention over a timed window: /proc parsing, own-thread accounting and the rule."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmbench.profiling.contention import (
    STEAL_LIMIT,
    CpuReading,
    assess,
    children_cpu_s,
    parse_busy_ticks,
    parse_cpu_ticks,
    parse_loadavg,
    parse_pressure,
    parse_procs_running,
    read_cpu,
    runnable_others,
)

STAT = """cpu  {user} 0 {system} {idle} 0 0 0 {steal} 0 0
cpu0 1 0 1 1 0 0 0 0 0 0
intr 1 2 3
procs_running {running}
procs_blocked 0
"""


def fake_proc(root: Path, *, load1=0.5, running=1, own=("R",), user=100, steal=0) -> Path:
    """A /proc with loadavg, stat, and this process's threads in the given states."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "loadavg").write_text(f"{load1} 0.3 0.2 {running}/300 999\n")
    (root / "stat").write_text(
        STAT.format(user=user, system=10, idle=1000, steal=steal, running=running)
    )
    for i, state in enumerate(own):
        task = root / str(os.getpid()) / "task" / str(i + 1)
        task.mkdir(parents=True, exist_ok=True)
        (task / "stat").write_text(f"{i + 1} (py thon) {state} 1 1 1 0 -1 0 0 0 0 0 5 5 0 0\n")
    (root / "pressure").mkdir(exist_ok=True)
    (root / "pressure" / "cpu").write_text(
        "some avg10=0.00 avg60=0.00 avg300=0.00 total=5000\nfull avg10=0.00 total=0\n"
    )
    (root / "self" / "task" / "1").mkdir(parents=True, exist_ok=True)
    (root / "self" / "task" / "1" / "children").write_text("")
    return root


def test_parsers():
    assert parse_loadavg("3.07 2.50 1.00 4/900 77\n") == 3.07
    assert parse_cpu_ticks(STAT.format(user=100, system=10, idle=880, steal=10, running=2)) == (
        1000,
        10,
    )
    assert parse_procs_running(STAT.format(user=1, system=1, idle=1, steal=0, running=7)) == 7
    assert parse_busy_ticks(STAT.format(user=100, system=10, idle=880, steal=10, running=2)) == 110
    with pytest.raises(ValueError, match="aggregate cpu line"):
        parse_busy_ticks("cpu0 1 2 3 4 5 6 7\n")
    with pytest.raises(ValueError, match="aggregate cpu line"):
        parse_cpu_ticks("cpu0 1 2 3\n")
    assert parse_pressure("some avg10=3.1 avg60=1.0 avg300=0.2 total=987\n") == 987
    with pytest.raises(ValueError, match="'some' line"):
        parse_pressure("full avg10=0 total=1\n")
    with pytest.raises(ValueError, match="procs_running"):
        parse_procs_running("cpu 1 2 3\n")


def test_runnable_others_leaves_out_this_process(tmp_path: Path):
    # 4 runnable threads system wide, 2 of them ours (one sleeping thread not counted)
    proc = fake_proc(tmp_path / "proc", running=4, own=("R", "R", "S"))
    assert runnable_others(proc, samples=3, gap_s=0) == 2.0
    assert runnable_others(tmp_path / "no-proc", samples=1) is None


def test_read_cpu_from_a_fake_proc(tmp_path: Path):
    proc = fake_proc(tmp_path / "proc", load1=1.75, running=3, own=("R",), user=500, steal=40)
    r = read_cpu(proc, samples=2)
    assert (r.load1, r.cpu_ticks, r.steal_ticks, r.runnable_others) == (1.75, 1550, 40, 2.0)
    assert r.busy_ticks == 510  # user + system; idle and steal are not busy
    assert r.pressure_us == 5000
    assert r.process_cpu_s > 0  # this test process has used some CPU


def _reading(t=0.0, load1=0.0, cpu=0.0, ticks=0, steal=0, others=0.0, busy=0) -> CpuReading:
    return CpuReading(t, load1, cpu, ticks, steal, others, busy_ticks=busy)


# 100 jiffies per second; windows of 10 s on a 2-CPU machine have 2,000 ticks in all
@pytest.mark.parametrize(
    ("end", "usable", "wanted", "contended"),
    [
        # idle 2-CPU machine, both CPUs ours: background flicker below the slack
        (_reading(10, 0.4, 19.0, 2000, 0, 0.4, busy=1920), 2, 2, False),
        # one busy competitor on a 2-CPU machine the run wanted whole: it took 7 s of CPU
        (_reading(10, 2.5, 12.0, 2000, 0, 1.0, busy=1900), 2, 2, True),
        # ...or it was starved of CPU time but runnable at the window's ends
        (_reading(10, 2.5, 19.0, 2000, 0, 1.0, busy=1950), 2, 2, True),
        # the same competitor on a 16-CPU machine where the run wanted 4
        (_reading(10, 4.0, 38.0, 16000, 0, 1.0, busy=4800), 16, 4, False),
        # the hypervisor stole 10% of the CPU time (just over the limit: contended)
        (_reading(10, 0.2, 17.0, 2000, 200, 0.0, busy=1700), 2, 2, True),
        (_reading(10, 0.2, 19.0, 2000, 90, 0.0, busy=1900), 2, 2, False),
        # back to back on an idle machine: the load average still holds our previous run,
        # but nobody else used a CPU or was runnable (issue #15: this was marked contended)
        (_reading(10, 3.9, 19.5, 2000, 0, 0.0, busy=1960), 2, 2, False),
        # no /proc/stat: nothing to go on, not marked
        (_reading(10, 3.9, 19.5, None, None, None, busy=None), 2, 2, False),
    ],
)
def test_rule(end, usable, wanted, contended):
    start = _reading(0, end.load1, 0.0, 0, 0, None if end.runnable_others is None else 0.0, 0)
    if end.cpu_ticks is None:
        start = CpuReading(0, end.load1, 0.0, None, None, None)
    c = assess(start, end, usable, wanted, clock_ticks=100)
    assert c.contended is contended
    assert c.cpu_per_wall == pytest.approx(end.process_cpu_s / end.wall_s)
    if end.cpu_ticks is None:
        assert (c.steal_fraction, c.others_cpu, c.others) == (None, None, None)
    else:
        assert c.steal_fraction == pytest.approx(end.steal_ticks / end.cpu_ticks)
        others_cpu = max(0.0, end.busy_ticks / 100 - end.process_cpu_s) / end.wall_s
        assert c.others_cpu == pytest.approx(others_cpu)
        assert c.others == pytest.approx(max(others_cpu, end.runnable_others))
    assert f"steal > {STEAL_LIMIT:.0%}" in c.rule and "load" not in c.rule


def test_others_on_part_of_a_machine_are_scaled_and_pressure_is_a_fraction():
    start = CpuReading(0.0, 0.0, 0.0, 0, 0, 0.0, pressure_us=1_000_000)
    end = CpuReading(10.0, 0.0, 19.0, 2000, 0, 32.0, pressure_us=3_500_000)
    whole = assess(start, end, cpus_usable=2, cpus_wanted=2)
    part = assess(start, end, cpus_usable=2, cpus_wanted=2, cpus_online=64)
    assert (whole.others, whole.contended) == (32.0, True)
    assert (part.others, part.contended) == (1.0, True)  # 32 threads over 64 CPUs: 1 on ours
    assert whole.cpu_pressure == pytest.approx(0.25)  # 2.5 s of 10 s some thread waited
    quiet = CpuReading(10.0, 0.0, 19.0, 2000, 0, 12.0)
    assert not assess(start, quiet, 2, 2, cpus_online=64).contended  # 0.375 on ours


def test_assess_without_proc_readings():
    blank = CpuReading(0.0, None, 0.0, None, None, None)
    c = assess(blank, CpuReading(1.0, None, 0.5, None, None, None), 2, 2)
    assert (c.steal_fraction, c.others, c.contended, c.cpu_per_wall) == (None, None, False, 0.5)
    assert c.cpu_pressure is None


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs a Linux /proc")
def test_live_children_cpu_is_counted():
    """DataLoader workers are live children during the window: their CPU counts."""
    code = "import time\nwhile time.process_time() < 0.3: pass\ntime.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 60
        while children_cpu_s() < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert children_cpu_s() >= 0.25  # /proc ticks: 10 ms
    finally:
        child.kill()
        child.wait()


@pytest.fixture(scope="module")
def prior_record(tmp_path_factory):
    """``mmbench run --model prior --task easyvqa --limit 50``, as a user runs it."""
    import json

    from mmbench.cli import main

    out = tmp_path_factory.mktemp("run")
    code = main(["run", "--model", "prior", "--task", "easyvqa", "--limit", "50",
                 "--no-progress", "--bootstrap", "0", "--out", str(out)])  # fmt: skip
    assert code == 0
    return json.loads((out / "results" / "easyvqa__prior.json").read_text())


def test_run_records_threads_and_contention(prior_record):
    from mmbench.results import validate

    validate(prior_record)
    prof = prior_record["profile"]
    threads, cont = prof["threads"], prof["contention"]
    assert threads["source"] == "auto" and threads["workers"] == 0  # prior decodes no media
    assert 1 <= threads["threads"] <= threads["cpus_usable"] <= threads["cpus_affinity"]
    assert cont["cpus_usable"] == threads["cpus_usable"]
    assert cont["cpus_wanted"] == threads["cpus_wanted"]
    assert cont["wall_s"] > 0 and cont["process_cpu_s"] >= 0
    assert cont["load1_start"] >= 0 and cont["load1_end"] >= 0
    assert 0 <= cont["steal_fraction"] <= 1 and cont["others"] >= 0
    assert isinstance(cont["contended"], bool) and "steal" in cont["rule"]


@pytest.mark.parametrize(
    "breaks",
    [
        lambda p: p["contention"].update(contended="yes"),
        lambda p: p["contention"].pop("rule"),
        lambda p: p["threads"].update(threads=0),
        lambda p: p["threads"].update(source="magic"),
    ],
)
def test_schema_rejects_broken_records(prior_record, breaks):
    import copy

    import jsonschema

    from mmbench.results import validate

    rec = copy.deepcopy(prior_record)
    breaks(rec["profile"])
    with pytest.raises(jsonschema.ValidationError):
        validate(rec)


def test_run_table_marks_contended_throughput(prior_record, capsys, monkeypatch):
    import copy

    from mmbench.cli._table import CONTENDED_MARK, print_results

    monkeypatch.setenv("COLUMNS", "250")
    quiet, busy = copy.deepcopy(prior_record), copy.deepcopy(prior_record)
    quiet["profile"]["contention"]["contended"] = False
    busy["profile"]["contention"]["contended"] = True
    print_results([quiet])
    out = capsys.readouterr().out
    assert CONTENDED_MARK not in out and "contention" not in out
    print_results([busy])
    out = capsys.readouterr().out
    sps = f"{busy['profile']['samples_per_s']:,.1f}{CONTENDED_MARK}"
    assert sps in out and f"{CONTENDED_MARK} measured under CPU contention" in out


def _burn_all_cpus(seconds: float) -> None:
    """Keep every usable CPU busy for about ``seconds`` (hashlib releases the GIL)."""
    import hashlib
    from concurrent.futures import ThreadPoolExecutor

    block = b"x" * (1 << 20)

    def burn() -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            hashlib.sha256(block).digest()

    n = len(os.sched_getaffinity(0))
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(lambda _: burn(), range(n)))


def _others_now(seconds: float = 1.0) -> float | None:
    """CPUs other processes used over a quiet ``seconds`` of ours (None without /proc)."""
    start = read_cpu()
    time.sleep(seconds)
    c = assess(start, read_cpu(), 2, 1)
    return c.others


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="needs a Linux /proc")
def test_back_to_back_windows_on_an_idle_machine_are_not_contended():
    """Two profiled windows in a row, each keeping every CPU busy: the second is not marked
    for the first (the load average still holds it; issue #15). Needs an idle machine."""
    from mmbench.profiling.profiler import Profiler

    before = _others_now()
    if before is None or before > 0.2:
        pytest.skip(f"the machine is busy: other processes used {before} CPUs just before")
    verdicts = []
    for _ in range(2):
        prof = Profiler(warmup=0)
        with prof.batch(1):
            _burn_all_cpus(2.0)
        verdicts.append(prof.summary()["contention"])
    after = _others_now()
    if after is None or after > 0.2:
        pytest.skip(f"the machine became busy: other processes used {after} CPUs just after")
    assert [v["contended"] for v in verdicts] == [False, False], verdicts
    assert all(v["cpu_per_wall"] > 0.5 for v in verdicts)  # the windows did run our work


def test_a_window_of_a_few_ticks_is_judged_by_runnable_threads_alone():
    # 20 ms on 2 CPUs: 4 ticks, one of them stolen and two busy elsewhere (as a baseline
    # scoring a task in 20 ms read on an idle machine): one tick is 25%, so no verdict from it.
    start = CpuReading(0.0, 0.0, 0.0, 1000, 0, 0.0, busy_ticks=100)
    end = CpuReading(0.02, 0.0, 0.01, 1004, 1, 0.0, busy_ticks=103)
    c = assess(start, end, cpus_usable=2, cpus_wanted=2, clock_ticks=100)
    assert c.steal_fraction == 0.25 and c.others_cpu > 0.9  # recorded as read
    assert not c.contended and c.others == 0.0
    busy = CpuReading(0.02, 0.0, 0.01, 1004, 1, 2.0, busy_ticks=103)  # 2 runnable others
    assert assess(start, busy, cpus_usable=2, cpus_wanted=2, clock_ticks=100).contended
    long_end = CpuReading(2.0, 0.0, 1.0, 1400, 40, 0.0, busy_ticks=500)  # 10% steal over 2 s
    assert assess(start, long_end, cpus_usable=2, cpus_wanted=2, clock_ticks=100).contended
