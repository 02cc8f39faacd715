"""Seeded percentile bootstrap over samples: a 95% CI for every metric value, and a paired test.

Resamples sample indices with replacement and recomputes the corpus score from the
resampled per-sample statistics (so corpus metrics are recomputed, not averaged). A metric
with a ``resample(stats, idx) -> {key: [R] array}`` method scores all resamples of an index
matrix ``idx`` ``[R, n]`` at once (mean-type metrics and WER do, vectorized with numpy);
others are re-scored one resample at a time. Index rows are drawn in chunks from one seeded
generator (same numbers as one ``[R, n]`` draw), so memory stays bounded for large sets.
Several jobs of one metric with a ``resampler_many(list of stats)`` method (``idx`` ->
per job ``{key: [R]}``) are scored together by it (CIDEr-D shares its reference side across
systems; the same numbers). When every metric is vectorized, chunks are scored on one
thread per usable CPU (numpy and scipy release the GIL; vectorized ``resample`` methods
must be thread-safe), the metrics' set-ups on those threads too, so that one slow set-up
overlaps the others' resamples: the chunks go to every scorer ready by then, and the
scorers ready later draw the same chunks again (with at most ``workers + 1`` chunks of
``CHUNK_ELEMENTS / (workers + 1)`` entries in memory). A resample's value does not depend
on the chunk or the thread that scored it.

>>> from mmbench.metrics.base import get_metric
>>> m = get_metric("exact_match")
>>> ci = confidence_intervals(m, [1.0, 0.0, 1.0, 1.0], n_resamples=200)
>>> 0.0 <= ci["exact_match"][0] <= 0.75 <= ci["exact_match"][1] <= 1.0
True
>>> r = paired_bootstrap(m, [1.0, 0.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0], n_resamples=200)
>>> r.delta, r.p_value
(0.0, 1.0)
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from mmbench.metrics.base import Metric
from mmbench.metrics.sparse_product import KERNEL, VECTOR_WIDTH

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 12345
#: Index entries drawn per chunk (``rows * n``): bounds the index matrix at ~32 MB.
CHUNK_ELEMENTS = 4_000_000
#: At least this many chunks per worker thread, so the threads finish together.
CHUNKS_PER_WORKER = 4
#: Chunk rows are a multiple of this where they can be: the C kernels of CIDEr-D's
#: bootstrap run 8, 16, 24 or 32 resamples at a time in vectors. Without them, 1: on the
#: numpy path, 32-row chunks page-fault ~15x more than 33-row ones (docs/metrics-speed.md).
CHUNK_MULTIPLE = VECTOR_WIDTH if KERNEL == "c" else 1


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def resample_indices(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """``[n_resamples, n]`` indices drawn with replacement from a seeded generator."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(n_resamples, n))


def index_chunks(
    n: int, n_resamples: int, seed: int, rows: int | None = None
) -> Iterator[np.ndarray]:
    """The rows of :func:`resample_indices` in chunks ``[rows, n]`` (identical numbers);
    ``rows`` at most ``CHUNK_ELEMENTS // n`` (the default)."""
    rng = np.random.default_rng(seed)
    rows = max(1, min(rows or n_resamples, CHUNK_ELEMENTS // max(n, 1)))
    for start in range(0, n_resamples, rows):
        yield rng.integers(0, n, size=(min(rows, n_resamples - start), n))


def _resampler(metric: Metric, stats: Sequence[Any]) -> Callable[[np.ndarray], dict]:
    """``idx [B, n] -> {key: [B] scores}`` for ``metric`` on ``stats``: its ``resampler``
    (set up once), its ``resample``, or one ``score`` call per resample."""
    make = getattr(metric, "resampler", None)
    if make is not None:
        return make(stats)
    fast = getattr(metric, "resample", None)
    if fast is not None:
        return partial(fast, stats)

    def looped(idx: np.ndarray) -> dict[str, np.ndarray]:
        rows = [metric.score([stats[i] for i in row]) for row in idx]
        return {k: np.array([r[k] for r in rows], dtype=np.float64) for k in rows[0]}

    return looped


def bootstrap_scores_many(
    jobs: Sequence[tuple[Metric, Sequence[Any]]],
    n_resamples: int,
    seed: int,
    workers: int | None = None,
) -> list[dict[str, np.ndarray]]:
    """:func:`bootstrap_scores` of several metrics on the same samples (each job gets the
    same resamples as alone).

    Jobs of one metric that has ``resampler_many`` are set up and scored together by it.
    On one thread, the index chunks are drawn once for all jobs. With ``workers`` threads
    (default: the usable CPUs; when every metric is vectorized), the jobs' scorers are set
    up on the worker threads and the chunks go to every scorer ready by then, so a slow
    set-up (CIDEr-D's sparse matrices) overlaps the other metrics' resamples; the scorers
    ready later get their own pass over the same chunks, drawn again from the seed
    (identical numbers, as little memory as one pass). The numbers are the same for any
    ``workers``.
    """
    sizes = {len(stats) for _, stats in jobs}
    if len(sizes) > 1:
        raise ValueError(f"bootstrap jobs differ in sample count: {sorted(sizes)}")
    n = sizes.pop() if sizes else 0
    vectorized = all(hasattr(m, "resampler") or hasattr(m, "resample") for m, _ in jobs)
    workers = max(1, workers or usable_cpus()) if vectorized else 1
    set_ups = _set_ups(jobs)
    if workers == 1:
        ready = [(js, build()) for js, build in set_ups]
        per_job: list[list[dict[str, np.ndarray]]] = [[] for _ in jobs]
        for idx in index_chunks(n, n_resamples, seed):
            for (js, _), found in zip(ready, _scored_all([s for _, s in ready], idx), strict=True):
                for j, d in zip(js, found, strict=True):
                    per_job[j].append(d)
        return [_joined(parts) for parts in per_job]
    # several chunks per thread; as many index entries in memory as one pass
    by_memory = CHUNK_ELEMENTS // (max(n, 1) * (workers + 1))
    rows = max(1, min(math.ceil(n_resamples / (CHUNKS_PER_WORKER * workers)), by_memory))
    rows -= rows % CHUNK_MULTIPLE if rows >= CHUNK_MULTIPLE else 0
    # per job: (the future of a chunk's results, its scorer's place, the job's place there)
    placed: list[list[tuple[Future[list[list[dict[str, np.ndarray]]]], int, int]]]
    placed = [[] for _ in jobs]
    with ThreadPoolExecutor(workers, thread_name_prefix="bootstrap") as pool:
        builds = {pool.submit(build): js for js, build in set_ups}
        pending: list[Future[Any]] = list(builds)
        while builds:  # one pass over the chunks for every scorer ready by then
            wait(builds, return_when=FIRST_COMPLETED)
            ready = [(js, f.result()) for f, js in builds.items() if f.done()]
            builds = {f: js for f, js in builds.items() if not f.done()}
            scorers = [scorer for _, scorer in ready]
            for idx in index_chunks(n, n_resamples, seed, rows):  # drawn here, in order
                running = [f for f in pending if not f.done()]  # set-ups included
                if len(running) >= workers:
                    wait(running, return_when=FIRST_COMPLETED)
                pending = [*running, pool.submit(_scored_all, scorers, idx)]
                for k, (js, _) in enumerate(ready):
                    for place, j in enumerate(js):
                        placed[j].append((pending[-1], k, place))
                del idx
    return [_joined(f.result()[k][place] for f, k, place in parts) for parts in placed]


#: A scorer of one or more jobs: ``idx`` [B, n] -> per job ``{key: [B] scores}``.
Scorer = Callable[[np.ndarray], list[dict[str, Any]]]


def _set_ups(
    jobs: Sequence[tuple[Metric, Sequence[Any]]],
) -> list[tuple[list[int], Callable[[], Scorer]]]:
    """(the jobs it scores, a function that builds their :data:`Scorer`) per set-up: one for
    all jobs when they share one metric with ``resampler_many``, else one per job."""
    metrics = {id(m): m for m, _ in jobs}
    many = getattr(jobs[0][0], "resampler_many", None) if jobs else None
    if len(metrics) == 1 and len(jobs) > 1 and many is not None:
        return [(list(range(len(jobs))), partial(many, [stats for _, stats in jobs]))]
    return [([j], partial(_alone, metric, stats)) for j, (metric, stats) in enumerate(jobs)]


def _alone(metric: Metric, stats: Sequence[Any]) -> Scorer:
    scorer = _resampler(metric, stats)
    return lambda idx: [scorer(idx)]


def _scored_all(scorers: Sequence[Scorer], idx: np.ndarray) -> list[list[dict[str, np.ndarray]]]:
    """Each scorer's results on the chunk ``idx``, as float64 arrays."""
    return [
        [{k: np.asarray(v, dtype=np.float64) for k, v in d.items()} for d in scorer(idx)]
        for scorer in scorers
    ]


def _joined(parts: Iterable[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One job's chunk results, concatenated in chunk order: ``{key: [R]}``."""
    parts = list(parts)
    return {key: np.concatenate([p[key] for p in parts]) for key in (parts[0] if parts else {})}


def bootstrap_scores(
    metric: Metric, stats: Sequence[Any], n_resamples: int, seed: int
) -> dict[str, np.ndarray]:
    """``{key: [n_resamples] scores}`` of the metric on seeded resamples of ``stats``."""
    return bootstrap_scores_many([(metric, stats)], n_resamples, seed)[0]


def _percentiles(draws: dict[str, np.ndarray], alpha: float) -> dict[str, tuple[float, float]]:
    return {
        key: (float(np.quantile(values, alpha / 2)), float(np.quantile(values, 1 - alpha / 2)))
        for key, values in draws.items()
    }


def confidence_intervals(
    metric: Metric,
    stats: Sequence[Any],
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap CI for each of ``metric``'s keys; empty stats give no CI."""
    return confidence_intervals_with_draws(metric, stats, n_resamples, seed, alpha)[0]


def confidence_intervals_with_draws(
    metric: Metric,
    stats: Sequence[Any],
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
) -> tuple[dict[str, tuple[float, float]], dict[str, np.ndarray]]:
    """:func:`confidence_intervals` and the resampled scores they come from (``{key: [R]}``,
    which a run keeps in its sample log for the leaderboard's paired tests).

    >>> from mmbench.metrics.base import get_metric
    >>> m, st = get_metric("exact_match"), [1.0, 0.0, 1.0, 1.0]
    >>> cis, draws = confidence_intervals_with_draws(m, st, 200)
    >>> cis == confidence_intervals(m, st, 200), draws["exact_match"].shape
    (True, (200,))
    """
    if len(stats) == 0:
        return {}, {}
    draws = bootstrap_scores(metric, stats, n_resamples, seed)
    return _percentiles(draws, alpha), draws


def confidence_intervals_many(
    jobs: Sequence[tuple[Metric, Sequence[Any]]],
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
) -> list[dict[str, tuple[float, float]]]:
    """:func:`confidence_intervals` of several metrics on the same samples, one draw.

    >>> from mmbench.metrics.base import get_metric
    >>> m, st = get_metric("exact_match"), [1.0, 0.0, 1.0, 1.0]
    >>> confidence_intervals_many([(m, st), (m, st)], 200) == [confidence_intervals(m, st, 200)] * 2
    True
    """
    if not jobs or len(jobs[0][1]) == 0:
        return [{} for _ in jobs]
    return [_percentiles(d, alpha) for d in bootstrap_scores_many(jobs, n_resamples, seed)]


@dataclass(frozen=True)
class PairedBootstrapResult:
    """Paired bootstrap comparison of system B against system A on the same samples.

    ``delta`` is ``score(B) - score(A)`` on all samples (for WER a negative delta means B is
    better); ``ci95`` its percentile interval; ``p_value`` the two-sided probability of a
    difference at least this large if the systems were equally good (the bootstrap deltas
    centred on the observed one, ``(1 + #{|d* - delta| >= |delta|}) / (R + 1)``).
    """

    key: str
    score_a: float
    score_b: float
    delta: float
    ci95: tuple[float, float]
    p_value: float
    n_samples: int
    n_resamples: int
    seed: int

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["ci95"] = list(self.ci95)
        return out


def paired_bootstrap(
    metric: Metric,
    stats_a: Sequence[Any],
    stats_b: Sequence[Any],
    key: str | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
) -> PairedBootstrapResult:
    """Paired bootstrap test: both systems are rescored on the *same* resampled samples.

    ``key`` picks one of the metric's values (default: its first key).
    """
    n = len(stats_a)
    if n != len(stats_b):
        raise ValueError(
            f"paired bootstrap needs the same samples: {n} vs {len(stats_b)} statistics"
        )
    if n == 0:
        raise ValueError("paired bootstrap needs at least one sample")
    key = key or metric.keys[0]
    score_a = float(metric.score(stats_a)[key])
    score_b = float(metric.score(stats_b)[key])
    delta = score_b - score_a
    draws_a = bootstrap_scores(metric, stats_a, n_resamples, seed)[key]
    draws_b = bootstrap_scores(metric, stats_b, n_resamples, seed)[key]
    deltas = draws_b - draws_a  # [R], same index rows for both systems
    extreme = np.count_nonzero(np.abs(deltas - delta) >= abs(delta) - 1e-12)
    return PairedBootstrapResult(
        key=key,
        score_a=score_a,
        score_b=score_b,
        delta=delta,
        ci95=(float(np.quantile(deltas, alpha / 2)), float(np.quantile(deltas, 1 - alpha / 2))),
        p_value=float((1 + extreme) / (n_resamples + 1)),
        n_samples=n,
        n_resamples=n_resamples,
        seed=seed,
    )
