"""How many torch intra-op threads and DataLoader workers a run uses, chosen together.

torch starts one OpenMP thread per CPU it sees. With media decoded in DataLoader workers on
top, or another busy process on the machine, threads wait for each other at every parallel
region and throughput collapses (``ref-gated`` on ``shapes_caption``: 8x slower on a
2-CPU machine with one competing busy process). The policy:

1. ``cpus_usable``: the CPUs this process may run on, ``os.sched_getaffinity(0)``, capped by
   a cgroup CPU quota (``cpu.max`` of cgroup v2, or ``cpu.cfs_quota_us`` of v1), rounded
   down, at least 1;
2. ``cpus_free``: ``cpus_usable`` minus the runnable threads of other processes right now
   (their share on this process's CPUs, ``cpus_usable / cpus_online`` of them, rounded), at
   least 1;
3. decode workers (only when the model consumes images or audio): one per four free CPUs,
   at most the task's ``workers``; intra-op threads: the free CPUs left, at least 1.

``--threads N`` (and ``--workers N``) override; the choice and why is recorded in the
profile (``profile.threads``).

>>> p = choose_threads(cpus_usable=8, others=1.0, decodes_media=True, max_workers=2)
>>> p.threads, p.workers, p.cpus_free
(6, 1, 7)
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

CGROUP = Path("/sys/fs/cgroup")
#: free CPUs per DataLoader decode worker
CPUS_PER_WORKER = 4


@dataclass(frozen=True)
class ThreadPolicy:
    """The threads and workers of a run, and why (the ``threads`` object of a profile)."""

    threads: int
    workers: int
    cpus_affinity: int
    cpu_quota: float | None
    cpus_usable: int
    others: float | None
    cpus_free: int
    cpus_wanted: int
    source: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def parse_cpu_max(text: str) -> float | None:
    """CPUs allowed by a cgroup v2 ``cpu.max`` line (``None``: no quota).

    >>> parse_cpu_max("150000 100000"), parse_cpu_max("max 100000")
    (1.5, None)
    """
    quota, period = text.split()[:2]
    return None if quota == "max" else int(quota) / int(period)


def cgroup_quota(root: Path = CGROUP) -> float | None:
    """CPUs allowed by this process's cgroup quota, ``None`` when there is none (or no cgroup
    file could be read)."""
    try:
        return parse_cpu_max((root / "cpu.max").read_text())
    except (OSError, ValueError):
        pass
    for v1 in (root / "cpu", root / "cpu,cpuacct", root):
        try:
            quota = int((v1 / "cpu.cfs_quota_us").read_text())
            period = int((v1 / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        return quota / period if quota > 0 and period > 0 else None
    return None


def affinity_cpus() -> int:
    """CPUs this process may run on (its affinity mask; ``os.cpu_count()`` where unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def usable_cpus(affinity: int, quota: float | None) -> int:
    """CPUs a run may keep busy: the affinity mask capped by the quota (rounded down: 1.5
    CPUs of quota keep one thread busy, two would be throttled), at least 1.

    >>> usable_cpus(8, None), usable_cpus(8, 2.5), usable_cpus(2, 0.5)
    (8, 2, 1)
    """
    cap = affinity if quota is None else min(affinity, math.floor(quota))
    return max(1, cap)


def choose_threads(
    cpus_usable: int,
    others: float | None = None,
    decodes_media: bool = False,
    max_workers: int = 2,
    threads: int | None = None,
    workers: int | None = None,
    cpus_affinity: int | None = None,
    cpu_quota: float | None = None,
) -> ThreadPolicy:
    """The thread policy for ``cpus_usable`` CPUs with ``others`` runnable threads of other
    processes; ``threads`` / ``workers`` given by the user win (``--threads``, ``--workers``).

    >>> choose_threads(2, others=1.0, decodes_media=True).threads
    1
    >>> choose_threads(2, threads=4).threads   # the user may oversubscribe on purpose
    4
    """
    busy = 0 if others is None else round(others)
    free = max(1, cpus_usable - busy)

    def split(cpus: int) -> tuple[int, int]:
        w = workers if workers is not None else 0
        if workers is None and decodes_media:
            w = min(max_workers, cpus // CPUS_PER_WORKER)
        if not decodes_media:
            w = 0
        t = threads if threads is not None else max(1, cpus - w)
        return t, w

    t, w = split(free)
    idle_t, idle_w = split(cpus_usable)
    given = [f"--{n} {v}" for n, v in (("threads", threads), ("workers", workers)) if v is not None]
    if given:
        source, reason = "user", " and ".join(given)
    else:
        source = "auto"
        reason = f"{free} free of {cpus_usable} usable CPUs"
        if busy:
            reason += f" ({busy} busy with other processes)"
        reason += (
            f": {w} decode worker(s) (1 per {CPUS_PER_WORKER} free CPUs, task max {max_workers})"
            if decodes_media
            else ": nothing to decode in workers"
        )
        reason += f", {t} intra-op thread(s)"
    return ThreadPolicy(
        threads=t,
        workers=w,
        cpus_affinity=cpus_affinity if cpus_affinity is not None else cpus_usable,
        cpu_quota=cpu_quota,
        cpus_usable=cpus_usable,
        others=others,
        cpus_free=free,
        cpus_wanted=min(cpus_usable, idle_t + idle_w),
        source=source,
        reason=reason,
    )


def thread_policy(
    decodes_media: bool,
    max_workers: int = 2,
    threads: int | None = None,
    workers: int | None = None,
) -> ThreadPolicy:
    """:func:`choose_threads` for this process on this machine now (affinity, cgroup quota,
    runnable threads of other processes from ``/proc``).

    >>> thread_policy(decodes_media=False, threads=1).threads
    1
    """
    from mmbench.profiling.contention import runnable_others

    affinity, quota = affinity_cpus(), cgroup_quota()
    usable = usable_cpus(affinity, quota)
    others = runnable_others(samples=10) if threads is None else None
    online = os.cpu_count() or usable
    if others is not None and online > usable:  # others spread over the whole machine
        others *= usable / online
    return choose_threads(
        usable,
        others,
        decodes_media,
        max_workers,
        threads,
        workers,
        cpus_affinity=affinity,
        cpu_quota=quota,
    )


@contextmanager
def torch_threads(n: int) -> Iterator[int | None]:
    """Run a block with ``n`` torch intra-op threads, restoring the previous count after.

    torch is only touched when it is already loaded (a torch model, DataLoader workers):
    importing it for a model that does not use it would cost a second for nothing. Yields the
    count in force, ``None`` when torch is not loaded.

    >>> import torch
    >>> with torch_threads(1) as n:
    ...     n, torch.get_num_threads()
    (1, 1)
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield None
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
