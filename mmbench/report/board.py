"""A leaderboard: per column, every model's headline score, 95% CI, rank with ties, and cost.

A *column* (column group) is one task under one condition: the clean task, or the task
under one ``--perturb`` spec (a perturbed run is its own column, labelled
``easyvqa · image:gaussian_noise@3``, never mixed with the clean one). Scores and CIs are
the ones in the results records; ranks come from paired bootstrap tests on the per-sample
logs (:mod:`mmbench.report.ranking`), within a column only. A column only holds comparable
scores: same task version, same task-file sha256, same metric signature (and the same
perturbation parameters) as the first record of the column (files in path order); anything
else is left out with a message naming both files. ``--limit`` runs are marked partial and
ranked only against runs on exactly the same samples. The overall rank of a model is the
mean of its ranks over *every* column of the board (each column counts once, clean or
perturbed), where a column the model has no result in counts as rank ``1 + number of models
in the column`` (behind all of them), so a model that ran one task cannot look better than
one that ran them all; lower is better; ties: more columns first, then name.

>>> HEADLINE["asr"], family("ref-gated"), family("constant:yes")
('wer', 'ref', 'constant')
>>> column_label("easyvqa", None), column_label("easyvqa", "image:gaussian_noise@3")
('easyvqa', 'easyvqa · image:gaussian_noise@3')
"""

from __future__ import annotations

import gc
import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, usable_cpus
from mmbench.report.inputs import Entry, Inputs, Skipped, Sweep, gc_frozen
from mmbench.report.ranking import PairTest, paired_tests, rank_models, with_holm
from mmbench.samplelog import SampleLogError

#: The score that ranks a task of each kind unless ``--metric`` says otherwise.
HEADLINE = {"caption": "CIDEr", "vqa": "vqa_accuracy", "asr": "wer"}


def family(model: str) -> str:
    """A model's family for the page's filter: its name up to the first ``-``, ``:`` or ``/``."""
    return re.split(r"[-:/]", model, maxsplit=1)[0] or model


def column_label(task: str, perturbation: str | None) -> str:
    """The name of a column: the task, followed by `` · <spec>`` for a perturbed run."""
    return task if perturbation is None else f"{task} · {perturbation}"


def hardware(record: dict[str, Any]) -> str:
    """One line naming what a run was measured on (GPU, or CPU model and threads)."""
    hw = record["profile"].get("hardware", {})
    if hw.get("gpu_used"):
        return str(hw["gpu_used"])
    threads = hw.get("cpu_threads")
    cpu = hw.get("cpu_model") or record["environment"].get("cpu") or "cpu"
    return f"{cpu} ({threads} threads)" if threads else str(cpu)


def cost(record: dict[str, Any]) -> dict[str, Any]:
    """Cost columns of a results record (None where not measured); ``contended``: the run's
    timings were taken under CPU contention (:mod:`mmbench.profiling.contention`)."""
    prof = record["profile"]
    mem = prof.get("memory") or {}
    latency = prof.get("latency_s") or {}
    return {
        "samples_per_s": prof.get("samples_per_s"),
        "latency_p90_s": latency.get("p90"),
        "peak_memory_bytes": mem.get("cuda_max_allocated_bytes") or mem.get("host_peak_rss_bytes"),
        "flops_per_sample": (prof.get("flops") or {}).get("per_sample"),
        "hardware": hardware(record),
        "contended": bool((prof.get("contention") or {}).get("contended")),
    }


@dataclass
class TaskBoard:
    """One column group (a task, clean or under one perturbation): which score ranks it,
    per-model rows, and the pair tests."""

    name: str
    kind: str
    version: int
    task_sha256: str | None
    key: str
    signature: str
    metric: str
    higher_is_better: bool
    entries: dict[str, Entry]
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    pairs: list[PairTest] = field(default_factory=list)
    perturbation: dict[str, Any] | None = None  # the records' ``perturbation`` (None: clean)
    breakdowns: dict[str, dict[str, Any]] = field(default_factory=dict)  # VQA: by answer type...
    # per model, each sample's value by id (:func:`mmbench.report.samples.per_sample_values`
    # of the statistics the pair tests use), for the page's sample browser
    values: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def spec(self) -> str | None:
        """The perturbation spec of the column (None: clean)."""
        return self.perturbation["spec"] if self.perturbation else None

    @property
    def label(self) -> str:
        """The column's name in every output: :func:`column_label`."""
        return column_label(self.name, self.spec)

    def pair(self, a: str, b: str) -> PairTest | None:
        """The test of ``b`` against ``a`` (delta = b - a), either way round."""
        for p in self.pairs:
            if (p.a, p.b) == (a, b):
                return p
            if (p.a, p.b) == (b, a):
                flipped = (-p.ci95[1], -p.ci95[0])
                return PairTest(a, b, -p.delta, flipped, p.p_value, p.p_holm, p.p_count)
        return None


@dataclass
class Board:
    """Everything a leaderboard shows; :meth:`to_json` has every number."""

    title: str
    tasks: list[TaskBoard]
    overall: dict[str, dict[str, Any]]
    skipped: list[Skipped]
    baseline: str | None = None
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED
    sweeps: list[dict[str, Any]] = field(default_factory=list)  # mmbench profile sweeps

    @property
    def models(self) -> list[str]:
        """Models, best overall first."""
        return list(self.overall)

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "ranking": {
                "rule": "rank = 1 + number of models significantly better on the same samples "
                "(paired bootstrap, 95%, Holm-corrected across the task's pairs); "
                "overall = mean rank over every column (a task, clean or under one "
                "perturbation); a missing column counts as 1 + the models in it",
                "n_resamples": self.n_resamples,
                "seed": self.seed,
            },
            "baseline": self.baseline,
            "models": [{"name": m, **self.overall[m]} for m in self.models],
            "tasks": [
                {
                    "name": t.name,
                    "label": t.label,
                    "perturbation": t.perturbation,
                    "kind": t.kind,
                    "version": t.version,
                    "task_sha256": t.task_sha256,
                    "score": t.key,
                    "signature": t.signature,
                    "higher_is_better": t.higher_is_better,
                    "rows": [{"model": m, **t.rows[m]} for m in self.models if m in t.rows],
                    "pairs": [p.to_json() for p in t.pairs],
                    "breakdowns": t.breakdowns,
                }
                for t in self.tasks
            ],
            "sweeps": self.sweeps,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
        }


def _check_same(ref: Entry, other: Entry, key: str) -> str | None:
    """Why ``other`` cannot share a column with ``ref`` (None if it can)."""
    rt, ot = ref.record["task"], other.record["task"]
    if rt["version"] != ot["version"]:
        return f"task version {ot['version']} differs from version {rt['version']} in {ref.path}"
    if rt.get("sha256") != ot.get("sha256"):
        return (
            f"task file sha256 {str(ot.get('sha256'))[:12]} differs from "
            f"{str(rt.get('sha256'))[:12]} in {ref.path} (task file edited without a version bump?)"
        )
    rp, op = ref.record.get("perturbation"), other.record.get("perturbation")
    if (rp or {}).get("key") != (op or {}).get("key"):
        return (
            f"perturbation parameters (key {(op or {}).get('key')}) differ from "
            f"key {(rp or {}).get('key')} in {ref.path} (another perturbation version?)"
        )
    if key not in other.record["scores"]:
        return f"has no score {key!r}"
    rs, os_ = ref.record["scores"][key]["signature"], other.record["scores"][key]["signature"]
    if rs != os_:
        return f"metric signature {os_!r} differs from {rs!r} in {ref.path}"
    return None


def _task_board(
    label: str,
    entries: list[Entry],
    key: str | None,
    skipped: list[Skipped],
    n_resamples: int,
    seed: int,
    workers: int | None = None,
) -> TaskBoard | None:
    from mmbench.report.samples import per_sample_values  # (samples imports this module)

    ref = entries[0]
    key = key or HEADLINE[ref.record["task"]["kind"]]
    if key not in ref.record["scores"]:
        have = sorted(ref.record["scores"])
        skipped.append(
            Skipped(str(ref.path), f"no score {key!r} to rank task {label!r} (has {have})")
        )
        return None
    kept = [ref]
    for e in entries[1:]:
        why = _check_same(ref, e, key)
        if why is None:
            kept.append(e)
        else:
            skipped.append(Skipped(str(e.path), f"not comparable on task {label!r}: {why}"))
    assert ref.log is not None
    spec = ref.log.metric_for_key(key)
    metric = get_metric(spec["name"], **spec["options"])
    board = TaskBoard(
        name=ref.task,
        kind=ref.record["task"]["kind"],
        version=ref.record["task"]["version"],
        task_sha256=ref.record["task"].get("sha256"),
        key=key,
        signature=ref.record["scores"][key]["signature"],
        metric=spec["name"],
        higher_is_better=bool(spec["higher_is_better"]),
        entries={e.model: e for e in kept},
        perturbation=ref.record.get("perturbation"),
    )
    groups: dict[tuple[str, ...], list[Entry]] = {}
    for e in kept:
        assert e.log is not None
        groups.setdefault(tuple(sorted(e.log.ids)), []).append(e)
    pairs: list[PairTest] = []
    compact = getattr(metric, "compact", None)  # one batch per model (CIDEr-D): gathered once
    for sorted_ids, members in groups.items():
        # the samples in the order the logs list them when they all list them alike (the
        # runs' own order, in which their logs keep the bootstrap's resamples), else by id
        orders = {tuple(e.log.ids) for e in members if e.log is not None}
        in_log_order = len(orders) == 1
        ids = orders.pop() if in_log_order else sorted_ids
        stats, resampled = {}, {}
        for e in members:
            assert e.log is not None
            try:
                if in_log_order:
                    found = e.log.metric_stats(spec["name"])
                    drawn = e.log.resampled(spec["name"], key, n_resamples, seed)
                    if drawn is not None:  # the run drew these tests' resamples: reused
                        resampled[e.model] = drawn
                else:
                    position = {sid: i for i, sid in enumerate(e.log.ids)}
                    found = e.log.metric_stats(spec["name"], [position[sid] for sid in ids])
            except SampleLogError as exc:
                skipped.append(Skipped(str(e.path), f"sample log: {exc}"))
                board.entries.pop(e.model)
                continue
            stats[e.model] = compact(found) if compact is not None else found
            # each sample's value for the page's sample browser, from the statistics (and, for
            # CIDEr-D, the n-gram counts) the tests use
            board.values[e.model] = dict(
                zip(ids, per_sample_values(spec["name"], stats[e.model], metric), strict=True)
            )
        if len(stats) > 1:
            pairs += paired_tests(metric, key, stats, n_resamples, seed, workers, resampled)
    board.pairs = with_holm(pairs)
    for group_id, members in enumerate(groups.values()):
        names = [e.model for e in members if e.model in board.entries]
        ranks = rank_models(names, [p for p in board.pairs if p.a in names], board.higher_is_better)
        for name in names:
            rec = board.entries[name].record
            score = rec["scores"][key]
            ci = score.get("ci95") or [None, None]
            board.rows[name] = {
                "score": score["value"],
                "ci95_low": ci[0],
                "ci95_high": ci[1],
                "rank": ranks[name],
                "partial": board.entries[name].partial,
                "sample_set": group_id,
                "n_samples": rec["n_samples"],
                "n_errors": rec["n_errors"],
                **cost(rec),
                "scores": {k: v["value"] for k, v in rec["scores"].items()},
                "extra": rec["scores"][key].get("extra", {}),
            }
    return board


#: Logged samples (over all columns) from which a board ranks its columns in worker processes.
POOL_SAMPLES = 20_000
#: Relative cost of a column's ranking per logged sample, by task kind (the order the
#: columns are handed to the worker processes: the slowest first).
KIND_COST = {"caption": 20.0, "asr": 2.0}

# (label, entries, score key, resamples, seed) of each column; set before the worker
# processes fork, so they read the entries (and their logs) without pickling them
_COLUMNS: list[tuple[str, list[Entry], str | None, int, int]] = []


def _rank_column(
    i: int, workers: int | None = None
) -> tuple[TaskBoard | None, list[str], list[Skipped]]:
    """Column ``i`` of :data:`_COLUMNS` ranked, with its VQA breakdowns and per-sample
    values: (the board with no entries, the models kept in it in order, what was skipped).
    In a worker process the board travels back without its entries (the parent has them)."""
    from mmbench.report.samples import vqa_breakdowns

    label, entries, key, n_resamples, seed = _COLUMNS[i]
    skipped: list[Skipped] = []
    board = _task_board(label, entries, key, skipped, n_resamples, seed, workers)
    if board is None:
        return None, [], skipped
    board.breakdowns = vqa_breakdowns(board)
    kept = list(board.entries)
    board.entries = {}
    return board, kept, skipped


def _rank_in_worker(i: int) -> tuple[TaskBoard | None, list[str], list[Skipped]]:
    """:func:`_rank_column` in a worker process: one bootstrap thread (the processes
    already keep the CPUs busy), no cyclic garbage collection (the worker is short-lived)."""
    gc.disable()
    return _rank_column(i, workers=1)


def _rank_columns(
    columns: list[tuple[str, list[Entry], str | None, int, int]], processes: int | None
) -> list[tuple[TaskBoard | None, list[str], list[Skipped]]]:
    """Rank every column: in ``processes`` forked worker processes (default: the usable
    CPUs once the logs hold :data:`POOL_SAMPLES` samples), slowest columns first, or here.
    The numbers are the same either way."""
    global _COLUMNS
    if processes is None:
        size = sum(len(e.log.samples) for c in columns for e in c[1] if e.log is not None)
        processes = usable_cpus() if size >= POOL_SAMPLES else 1
    processes = min(processes, len(columns))
    methods = multiprocessing.get_all_start_methods()
    _COLUMNS = columns
    try:
        if processes <= 1 or "fork" not in methods:
            done = [_rank_column(i) for i in range(len(columns))]
        else:
            done = _rank_forked(columns, processes)
    finally:
        _COLUMNS = []
    for (_, entries, *_rest), (board, kept, _skipped) in zip(columns, done, strict=True):
        if board is not None:
            by_model = {e.model: e for e in entries}
            board.entries = {m: by_model[m] for m in kept}
    return done


def _rank_forked(
    columns: list[tuple[str, list[Entry], str | None, int, int]], processes: int
) -> list[tuple[TaskBoard | None, list[str], list[Skipped]]]:
    """:func:`_rank_columns` in ``processes`` forked workers, the slowest columns first."""

    def cost(i: int) -> float:
        entries = columns[i][1]
        kind = entries[0].record["task"]["kind"]
        n = sum(len(e.log.samples) for e in entries if e.log is not None)
        return KIND_COST.get(kind, 1.0) * n

    order = sorted(range(len(columns)), key=cost, reverse=True)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        with gc_frozen():  # the workers' collections skip what they inherit (no copy-on-write)
            futures = {i: pool.submit(_rank_in_worker, i) for i in order}
        return [futures[i].result() for i in range(len(columns))]


def sweep_summary(sweep: Sweep) -> dict[str, Any]:
    """What a board keeps of a ``mmbench profile`` sweep: per batch size the throughput, p90
    batch latency and whether it was measured under contention."""
    r = sweep.record
    return {
        "label": sweep.label,
        "model": r["model"]["name"],
        "task": r["task"]["name"],
        "device": r["device"],
        "dtype": r["dtype"],
        "file": sweep.path.name,
        "points": [
            {
                "batch_size": p["batch_size"],
                "samples_per_s": p["samples_per_s"],
                "latency_p90_s": (p.get("latency_s") or {}).get("p90"),
                "contended": bool((p.get("contention") or {}).get("contended")),
            }
            for p in r["points"]
        ],
    }


def _overall(tasks: list[TaskBoard], baseline: str | None) -> dict[str, dict[str, Any]]:
    models: dict[str, dict[str, Any]] = {}
    for t in tasks:
        for name, row in t.rows.items():
            entry = t.entries[name].record["model"]
            m = models.setdefault(
                name,
                {"family": family(name), "parameters": entry.get("parameters"), "ranks": {}},
            )
            m["ranks"][t.label] = row["rank"]
            if baseline is not None and name != baseline:
                p = t.pair(baseline, name)
                if p is not None:
                    row["vs_baseline"] = {
                        "delta": p.delta,
                        "p_holm": p.p_holm,
                        "significant": p.significant(),
                    }
    for m in models.values():
        m["n_tasks"] = len(m["ranks"])
        # a column the model has no result in counts as last: behind every model that ran it
        ranks = [m["ranks"].get(t.label, 1 + len(t.rows)) for t in tasks]
        m["mean_rank"] = sum(ranks) / len(ranks)
    order = sorted(models, key=lambda n: (models[n]["mean_rank"], -models[n]["n_tasks"], n))
    return {n: models[n] for n in order}


def build_board(
    inputs: Inputs,
    title: str = "mmbench leaderboard",
    tasks: Sequence[str] | None = None,
    metric: dict[str, str] | str | None = None,
    baseline: str | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    processes: int | None = None,
) -> Board:
    """Rank the models of ``inputs`` on each column (``tasks`` picks and orders the tasks;
    a task's clean column comes first, then its perturbed columns by spec).

    ``metric``: one score key for every task, or ``{task: key}`` (its perturbed columns
    too); default :data:`HEADLINE`. ``processes``: worker processes ranking the columns
    (default: :func:`_rank_columns` decides; 1: none); the board is the same for any.
    """
    skipped = list(inputs.skipped)
    by_task: dict[str, dict[str | None, list[Entry]]] = {}
    for e in sorted(inputs.entries, key=lambda e: str(e.path)):
        by_task.setdefault(e.task, {}).setdefault(e.perturbation, []).append(e)
    names = list(dict.fromkeys(tasks)) if tasks else sorted(by_task)
    columns: list[tuple[str, list[Entry], str | None, int, int]] = []
    missing: dict[int, list[Skipped]] = {}  # tasks with no results, before column i
    for name in names:
        if name not in by_task:
            missing.setdefault(len(columns), []).append(
                Skipped(name, f"no results for task {name!r}")
            )
            continue
        key = metric.get(name) if isinstance(metric, dict) else metric
        found = by_task[name]
        for spec in sorted(found, key=lambda s: (s is not None, s or "")):
            columns.append((column_label(name, spec), found[spec], key, n_resamples, seed))
    boards = []
    for i, (board, _kept, left_out) in enumerate(_rank_columns(columns, processes)):
        skipped += missing.get(i, []) + left_out
        if board is not None:
            boards.append(board)
    skipped += missing.get(len(columns), [])
    return Board(
        title=title,
        tasks=boards,
        overall=_overall(boards, baseline),
        skipped=skipped,
        baseline=baseline,
        n_resamples=n_resamples,
        seed=seed,
        sweeps=[sweep_summary(s) for s in inputs.sweeps],
    )
