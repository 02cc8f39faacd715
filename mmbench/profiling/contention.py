"""Was a timing taken on a busy machine? CPU readings at the start and end of a window.

A :class:`CpuReading` holds what ``/proc`` says at one instant: the 1-minute load average,
this process's CPU seconds (its own threads, reaped children and live children such as
DataLoader workers), the system's CPU tick counters (busy, steal and total) and the number
of runnable threads that are not ours. :func:`assess` turns two readings into a
:class:`Contention`.

The rule (``RULE``): a window is *contended* when the hypervisor stole more than 5% of the
CPU time, or when other processes wanted more CPUs than the run left free::

    others > cpus_usable - cpus_wanted + 0.5

``cpus_wanted`` is what the run would use on an idle machine (intra-op threads plus decode
workers, see :mod:`mmbench.profiling.threads`). ``others`` is the larger of

* ``others_cpu``: the CPUs other processes kept busy *during the window*, from the
  machine's busy ticks (``/proc/stat``: user, nice, system, irq, softirq) minus this
  process's own CPU seconds, over the window's wall seconds; and
* ``runnable_others``: runnable threads of other processes, sampled at both ends (it also
  sees a competitor that the run starves of CPU time);

both scaled by ``cpus_usable / cpus_online`` when the process may use only part of the
machine (the counts are machine-wide). The 0.5 absorbs background daemons.

The tick counters move in steps of 1/``SC_CLK_TCK`` s (10 ms) per CPU, and the process's
own CPU seconds in steps just as coarse, so over a window shorter than
``MIN_WINDOW_TICKS`` ticks of all CPUs together (1 s of 2 CPUs) one tick is several percent:
such windows (a baseline scoring a task in 20 ms) record ``steal_fraction`` and
``others_cpu`` but are judged by ``runnable_others`` alone.

The 1-minute load average is recorded but not part of the rule: it lags by about a minute,
so right after a busy run (this process's own previous window, or the previous process of a
benchmark) it still counts that run and would mark an idle machine contended. Also
recorded, not part of the rule: ``cpu_pressure``, the fraction of the window during which
some runnable thread waited for a CPU (Linux PSI, ``/proc/pressure/cpu``; ``null`` where the
kernel has no PSI), which also counts this process's own threads waiting for each other.

>>> start = CpuReading(0.0, 0.2, 0.0, 1000, 0, 0.0, busy_ticks=100)
>>> end = CpuReading(10.0, 1.4, 19.0, 3000, 0, 0.0, busy_ticks=2000)
>>> c = assess(start, end, cpus_usable=2, cpus_wanted=2, clock_ticks=100)
>>> round(c.cpu_per_wall, 2), c.others_cpu, c.contended  # all 19 busy CPU seconds were ours
(1.9, 0.0, False)
>>> end = CpuReading(10.0, 0.2, 13.0, 3000, 0, 0.0, busy_ticks=2000)
>>> c = assess(start, end, cpus_usable=2, cpus_wanted=2, clock_ticks=100)
>>> c.others_cpu, c.contended   # another process took 6 of the 19 busy CPU seconds
(0.6, True)
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

PROC = Path("/proc")
#: steal above this fraction of the window's CPU time marks it contended
STEAL_LIMIT = 0.05
#: Fewer CPU ticks than this in a window (all CPUs together): tick-based measures not decisive.
MIN_WINDOW_TICKS = 200
#: other runnable threads tolerated beyond the CPUs the run leaves free (background daemons)
SLACK = 0.5
RULE = (
    f"steal > {STEAL_LIMIT:.0%} of CPU time, or others > cpus_usable - cpus_wanted + {SLACK}; "
    "others = max(CPUs busy with other processes during the window, "
    "runnable threads of other processes at its ends); steal and CPUs busy count only in "
    f"windows of >= {MIN_WINDOW_TICKS} CPU ticks"
)
#: how many times /proc is sampled for runnable threads per reading, and the gap between
RUNNABLE_SAMPLES = 5
RUNNABLE_GAP_S = 0.002


@dataclass(frozen=True)
class CpuReading:
    """What ``/proc`` said at one instant (``None`` where it could not be read)."""

    wall_s: float
    load1: float | None
    process_cpu_s: float
    cpu_ticks: int | None
    steal_ticks: int | None
    runnable_others: float | None
    pressure_us: int | None = None
    busy_ticks: int | None = None


@dataclass(frozen=True)
class Contention:
    """CPU contention over a timed window (the ``contention`` object of a profile)."""

    load1_start: float | None
    load1_end: float | None
    wall_s: float
    process_cpu_s: float
    cpu_per_wall: float | None
    steal_fraction: float | None
    runnable_others: float | None
    others_cpu: float | None
    others: float | None
    cpu_pressure: float | None
    cpus_usable: int
    cpus_wanted: int
    contended: bool
    rule: str = RULE

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_loadavg(text: str) -> float:
    """The 1-minute load average of ``/proc/loadavg``.

    >>> parse_loadavg("1.52 0.90 0.41 3/512 12345")
    1.52
    """
    return float(text.split()[0])


def parse_cpu_ticks(text: str) -> tuple[int, int]:
    """``(total, steal)`` jiffies of the aggregate ``cpu`` line of ``/proc/stat`` (guest time
    is already inside user/nice, so it is not added twice).

    >>> parse_cpu_ticks("cpu  100 0 50 800 10 0 5 35 0 0\\ncpu0 1 2 3 4")
    (1000, 35)
    """
    fields = text.splitlines()[0].split()
    if fields[0] != "cpu":
        raise ValueError(f"/proc/stat: first line is not the aggregate cpu line: {fields[0]!r}")
    values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(values), (values[7] if len(values) > 7 else 0)


def parse_busy_ticks(text: str) -> int:
    """Busy jiffies of the aggregate ``cpu`` line of ``/proc/stat``: user, nice, system, irq
    and softirq (not idle, iowait or steal; guest time is inside user and nice).

    >>> parse_busy_ticks("cpu  100 1 50 800 10 3 5 35 0 0\\ncpu0 1 2 3 4")
    159
    """
    fields = text.splitlines()[0].split()
    if fields[0] != "cpu":
        raise ValueError(f"/proc/stat: first line is not the aggregate cpu line: {fields[0]!r}")
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[1:8])
    return user + nice + system + irq + softirq


def parse_pressure(text: str) -> int:
    """Total microseconds some thread waited for a CPU, from ``/proc/pressure/cpu``.

    >>> parse_pressure("some avg10=1.00 avg60=0.50 avg300=0.10 total=123456\\nfull avg10=0")
    123456
    """
    for line in text.splitlines():
        if line.startswith("some "):
            return int(line.rsplit("total=", 1)[1])
    raise ValueError("/proc/pressure/cpu has no 'some' line")


def parse_procs_running(text: str) -> int:
    """The ``procs_running`` count of ``/proc/stat`` (runnable threads, system wide).

    >>> parse_procs_running("cpu 1 2\\nprocs_running 3\\nprocs_blocked 0")
    3
    """
    for line in text.splitlines():
        if line.startswith("procs_running "):
            return int(line.split()[1])
    raise ValueError("/proc/stat has no procs_running line")


def _stat_fields(path: Path) -> list[str] | None:
    """Fields of a ``/proc/<pid>/stat`` after the ``(comm)`` (state first); None if gone."""
    try:
        text = path.read_text()
    except OSError:  # the thread or process ended meanwhile
        return None
    return text[text.rfind(")") + 2 :].split()


def _own_pids(proc: Path) -> list[int]:
    """This process and its live children (DataLoader workers, say)."""
    pids = [os.getpid()]
    for children in (proc / "self" / "task").glob("*/children"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            pids += [int(p) for p in children.read_text().split()]
    return pids


def own_running(proc: Path = PROC) -> int:
    """Threads of this process and its live children that are runnable right now."""
    n = 0
    for pid in _own_pids(proc):
        for stat in (proc / str(pid) / "task").glob("*/stat"):
            fields = _stat_fields(stat)
            n += fields is not None and fields[0] == "R"
    return n


def children_cpu_s(proc: Path = PROC) -> float:
    """CPU seconds (user + system) of the live children of this process."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in _own_pids(proc)[1:]:
        fields = _stat_fields(proc / str(pid) / "stat")
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / tick


def runnable_others(
    proc: Path = PROC, samples: int = RUNNABLE_SAMPLES, gap_s: float = RUNNABLE_GAP_S
) -> float | None:
    """Mean number of runnable threads that belong to other processes, over ``samples``
    readings ``gap_s`` apart; ``None`` without a Linux ``/proc``."""
    counts = []
    for i in range(samples):
        if i:
            time.sleep(gap_s)
        try:
            running = parse_procs_running((proc / "stat").read_text())
        except (OSError, ValueError):
            return None
        counts.append(max(0, running - own_running(proc)))
    return sum(counts) / len(counts)


def read_cpu(proc: Path = PROC, samples: int = RUNNABLE_SAMPLES) -> CpuReading:
    """One :class:`CpuReading` of this machine now.

    >>> r = read_cpu()
    >>> r.process_cpu_s > 0
    True
    """
    wall, t = time.perf_counter(), os.times()  # CPU and wall read together
    cpu_s = t.user + t.system + t.children_user + t.children_system + children_cpu_s(proc)
    try:
        load1: float | None = parse_loadavg((proc / "loadavg").read_text())
    except (OSError, ValueError, IndexError):
        load1 = None
    try:
        stat = (proc / "stat").read_text()
        total, steal = parse_cpu_ticks(stat)
        busy: int | None = parse_busy_ticks(stat)
    except (OSError, ValueError, IndexError):
        total = steal = busy = None
    try:
        pressure: int | None = parse_pressure((proc / "pressure" / "cpu").read_text())
    except (OSError, ValueError, IndexError):
        pressure = None
    others = runnable_others(proc, samples) if samples else None
    return CpuReading(wall, load1, cpu_s, total, steal, others, pressure, busy)


def assess(
    start: CpuReading,
    end: CpuReading,
    cpus_usable: int,
    cpus_wanted: int,
    cpus_online: int | None = None,
    clock_ticks: int | None = None,
) -> Contention:
    """Contention over the window from ``start`` to ``end`` (see the module's rule);
    ``cpus_online``: the machine's CPUs (default: ``cpus_usable``, no scaling);
    ``clock_ticks``: jiffies per second of ``/proc/stat`` (default: ``SC_CLK_TCK``)."""
    share = cpus_usable / cpus_online if cpus_online and cpus_online > cpus_usable else 1.0
    wall = max(0.0, end.wall_s - start.wall_s)
    cpu = max(0.0, end.process_cpu_s - start.process_cpu_s)
    cpu_per_wall = cpu / wall if wall > 0 else None
    steal = None
    ticks = None
    if None not in (start.cpu_ticks, end.cpu_ticks, start.steal_ticks, end.steal_ticks):
        ticks = end.cpu_ticks - start.cpu_ticks  # type: ignore[operator]
        steal = (end.steal_ticks - start.steal_ticks) / ticks if ticks > 0 else 0.0  # type: ignore[operator]
    ticked = ticks is None or ticks >= MIN_WINDOW_TICKS  # long enough for tick-based shares
    others_cpu = None
    if start.busy_ticks is not None and end.busy_ticks is not None and wall > 0:
        busy_s = (end.busy_ticks - start.busy_ticks) / (clock_ticks or os.sysconf("SC_CLK_TCK"))
        others_cpu = max(0.0, busy_s - cpu) / wall
    runnable = [r for r in (start.runnable_others, end.runnable_others) if r is not None]
    by_ticks = others_cpu if ticked else None
    estimates = [v for v in (max(runnable, default=None), by_ticks) if v is not None]
    others = max(estimates) * share if estimates else None
    pressure = None
    if start.pressure_us is not None and end.pressure_us is not None and wall > 0:
        pressure = min(1.0, (end.pressure_us - start.pressure_us) / 1e6 / wall)
    contended = bool(
        (steal is not None and ticked and steal > STEAL_LIMIT)
        or (others is not None and others > cpus_usable - cpus_wanted + SLACK)
    )
    return Contention(
        load1_start=start.load1,
        load1_end=end.load1,
        wall_s=wall,
        process_cpu_s=cpu,
        cpu_per_wall=cpu_per_wall,
        steal_fraction=steal,
        runnable_others=max(runnable) if runnable else None,
        others_cpu=others_cpu,
        others=others,
        cpu_pressure=pressure,
        cpus_usable=cpus_usable,
        cpus_wanted=cpus_wanted,
        contended=contended,
    )
