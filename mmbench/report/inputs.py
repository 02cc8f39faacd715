"""Collect results records and their sample logs for a leaderboard; skip bad ones, saying why.

Every problem becomes a :class:`Skipped` note naming the file, and the board is built from
what is valid: a results file that does not parse or validate, a missing or corrupt sample
log (sha256 mismatch), a folder with no results, and two results for the same model and task
(the newer ``finished_at`` wins; the older is reported). ``mmbench profile`` JSONs among
the paths (``"kind": "mmbench-profile"``) become batch-size sweeps. A perturbed run
(``--perturb``) is not a duplicate of the clean run of the same model and task: it is its
own column.

>>> import tempfile
>>> found = collect([tempfile.mkdtemp()])
>>> found.entries, found.skipped[0].reason
([], 'no results files in this folder')
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmbench.samplelog import SampleLog, SampleLogError, log_path, read_sample_log


@dataclass
class Entry:
    """One results record (one model on one task) with its sample log."""

    path: Path
    record: dict[str, Any]
    log: SampleLog | None

    @property
    def model(self) -> str:
        return self.record["model"]["name"]

    @property
    def task(self) -> str:
        return self.record["task"]["name"]

    @property
    def perturbation(self) -> str | None:
        """The canonical ``--perturb`` spec of a perturbed run (None for a clean run)."""
        found = self.record.get("perturbation")
        return found["spec"] if found else None

    @property
    def partial(self) -> bool:
        """A ``--limit`` run: only the first N samples were scored."""
        return self.record["task"].get("limit") is not None


@dataclass(frozen=True)
class Skipped:
    """A file left out of the board, and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class Sweep:
    """A ``mmbench profile`` batch-size sweep (a JSON with ``"kind": "mmbench-profile"``)."""

    path: Path
    record: dict[str, Any]

    @property
    def label(self) -> str:
        r = self.record
        return f"{r['model']['name']} on {r['task']['name']} ({r['device']}, {r['dtype']})"


@dataclass
class Inputs:
    entries: list[Entry] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sweeps: list[Sweep] = field(default_factory=list)


def _results_files(paths: Iterable[str | Path], skipped: list[Skipped]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = [
                q
                for q in sorted(p.rglob("*.json"))
                if q.is_file() and (_looks_like_results(q) or _looks_like_sweep(q))
            ]
            if not found:
                skipped.append(Skipped(str(p), "no results files in this folder"))
            files += found
        elif p.is_file():
            files.append(p)
        else:
            skipped.append(Skipped(str(p), "no such file or folder"))
    return list(dict.fromkeys(files))


def _looks_like_results(path: Path) -> bool:
    """In a folder, JSON files that are not results records (exports, boards) are ignored:
    a results file has a sample log beside it, lies in a ``results/`` folder (where
    ``mmbench run`` writes them), or starts with ``{"schema_version"``."""
    if path.parent.name == "results" or log_path(path).exists():
        return True
    with open(path, "rb") as fh:
        head = fh.read(64).lstrip()
    return head.startswith(b"{") and head[1:].lstrip().startswith(b'"schema_version"')


def _looks_like_sweep(path: Path) -> bool:
    """A ``mmbench profile`` JSON: it starts with ``{"kind": "mmbench-profile"``."""
    with open(path, "rb") as fh:
        head = b"".join(fh.read(64).split())
    return head.startswith(b'{"kind":"mmbench-profile"')


def load_sweep(path: Path) -> Sweep:
    """Read one ``mmbench profile`` JSON (``ValueError`` naming what is wrong)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a readable JSON file: {exc}") from None
    try:
        names = [record["model"]["name"], record["task"]["name"], record["device"]]
        names.append(record["dtype"])
        points = [(int(p["batch_size"]), float(p["samples_per_s"])) for p in record["points"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a valid mmbench profile sweep: missing or bad {exc}") from None
    if not points or not all(isinstance(n, str) for n in names):
        raise ValueError("not a valid mmbench profile sweep: no points, or names not strings")
    return Sweep(path, record)


def _read_record(path: Path) -> dict[str, Any]:
    """The JSON of a results file (``ValueError`` if it does not parse)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a readable JSON file: {exc}") from None


def _problem(record: dict[str, Any]) -> str | None:
    """Why ``record`` is not a valid results record, as :func:`load_entry` says it."""
    from mmbench.results import record_problem

    problem = record_problem(record)
    return None if problem is None else f"not a valid results record: {problem}"


def _read_log(path: Path, record: dict[str, Any]) -> SampleLog:
    """The sample log of the (valid) results record ``record`` of ``path``."""
    ref = record.get("samples_log")
    if ref is None:
        raise ValueError("has no per-sample log (made before mmbench wrote them): rerun it")
    return read_sample_log(path.parent / ref["file"], ref["sha256"])


def _entry(path: Path, record: dict[str, Any], log: SampleLog) -> Entry:
    if log.header.get("n") != record["n_samples"]:
        raise SampleLogError(
            f"{log.path}: {log.header.get('n')} samples, the record says {record['n_samples']}"
        )
    return Entry(path, record, log)


def load_entry(path: Path) -> Entry:
    """Read and validate one results file and its sample log (``ValueError`` naming it)."""
    record = _read_record(path)
    problem = _problem(record)
    if problem is not None:
        raise ValueError(problem)
    return _entry(path, record, _read_log(path, record))


@contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """No cyclic garbage collection inside (the collector's passes over a growing heap of
    acyclic decoded JSON cost a third of reading the logs); as it was afterwards. With
    ``freeze``, what is alive at the end goes to the collector's permanent generation first
    (``gc.freeze``; ``gc.unfreeze`` returns it), so the first collection afterwards does
    not scan everything made inside (0.15 s for a 50-model board's logs).

    >>> was = gc.isenabled()
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled() == was
    True
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was:
            gc.enable()


@contextmanager
def gc_frozen() -> Iterator[None]:
    """Everything alive on entry in the collector's permanent generation inside
    (``gc.freeze``), returned on exit (``gc.unfreeze``): processes forked inside do not
    copy the pages of what they inherit when their collections would touch it, and the
    caller's collections inside skip it.

    >>> with gc_frozen():
    ...     gc.get_freeze_count() > 0
    True
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


#: Results files from which :func:`collect` validates records in worker processes.
POOL_FILES = 200
_RECORDS: list[dict[str, Any] | None] = []  # what forked validators read (set before the fork)


def _problems_in_worker(start: int, stop: int) -> list[str | None]:
    return [_problem(r) if r is not None else None for r in _RECORDS[start:stop]]


def _validate_all(records: list[dict[str, Any] | None], processes: int | None) -> Any:
    """Start validating ``records`` (None: unreadable, skipped); returns the function that
    waits for the problems (in order). With ``processes`` > 1 (default: the usable CPUs
    from :data:`POOL_FILES` records on) forked workers validate them while the caller
    reads the sample logs."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from mmbench.metrics.bootstrap import usable_cpus

    if processes is None:
        processes = usable_cpus() if len(records) >= POOL_FILES else 1
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return lambda: [_problem(r) if r is not None else None for r in records]
    _RECORDS[:] = records
    with gc_frozen():  # the workers' collections skip what they inherit (no copy-on-write)
        pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"))
        step = -(-len(records) // processes)
        futures = [
            pool.submit(_problems_in_worker, a, a + step) for a in range(0, len(records), step)
        ]

    def wait() -> list[str | None]:
        try:
            return [p for f in futures for p in f.result()]
        finally:
            pool.shutdown()
            _RECORDS.clear()

    return wait


def collect(paths: Iterable[str | Path], processes: int | None = None) -> Inputs:
    """Results files (given, or ``*.json`` under given folders) with their logs.

    ``processes``: worker processes that validate the records while the logs are read
    (default: :func:`_validate_all` decides; 1: none); the same inputs either way. The
    decoded logs are left in the collector's permanent generation (:func:`gc_paused`):
    they hold no cycles, and reference counting frees them with the inputs.
    """
    out = Inputs()
    by_key: dict[tuple[str, str, str | None], Entry] = {}
    files = _results_files(paths, out.skipped)
    sweep = [_looks_like_sweep(path) for path in files]
    records: list[dict[str, Any] | None] = []
    unreadable: dict[Path, ValueError] = {}
    for path, is_sweep in zip(files, sweep, strict=True):
        if is_sweep:
            continue
        try:
            records.append(_read_record(path))
        except ValueError as exc:
            records.append(None)
            unreadable[path] = exc
    problems = _validate_all(records, processes)
    # the logs are read while the records are checked; a log only counts for a valid record
    logs: list[SampleLog | Exception] = []
    results = [path for path, is_sweep in zip(files, sweep, strict=True) if not is_sweep]
    with gc_paused(freeze=True):  # decoding makes many containers and no cycles
        for path, record in zip(results, records, strict=True):
            try:
                logs.append(_read_log(path, record) if isinstance(record, dict) else ValueError())
            except (ValueError, SampleLogError, KeyError, TypeError, OSError) as exc:
                logs.append(exc)  # (reported only if the record is valid)
    found = iter(zip(records, problems(), logs, strict=True))
    for path, is_sweep in zip(files, sweep, strict=True):
        if is_sweep:
            try:
                out.sweeps.append(load_sweep(path))
            except ValueError as exc:
                out.skipped.append(Skipped(str(path), str(exc)))
            continue
        record, problem, log = next(found)
        try:
            if record is None:
                raise unreadable[path]
            if problem is not None:
                raise ValueError(problem)
            if isinstance(log, Exception):
                raise log
            entry = _entry(path, record, log)
        except (ValueError, SampleLogError) as exc:
            message = str(exc)
            if isinstance(exc, SampleLogError):
                out.skipped.append(Skipped(str(path), f"sample log: {message}"))
            else:
                out.skipped.append(Skipped(str(path), message))
            continue
        key = (entry.model, entry.task, entry.perturbation)
        old = by_key.get(key)
        if old is None:
            by_key[key] = entry
            continue
        newer, older = (
            (entry, old)
            if entry.record["finished_at"] >= old.record["finished_at"]
            else (old, entry)
        )
        by_key[key] = newer
        under = f" under {entry.perturbation!r}" if entry.perturbation else ""
        out.skipped.append(
            Skipped(
                str(older.path),
                f"older result for model {entry.model!r} on task {entry.task!r}{under}; "
                f"the newer {newer.path} is used",
            )
        )
    out.entries = list(by_key.values())
    return out
