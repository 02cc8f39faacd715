"""Ranks with ties: paired bootstrap tests between every two models, Holm-corrected.

A model's rank on a task is 1 + the number of models *significantly* better on the same
samples: the paired bootstrap of :func:`mmbench.metrics.bootstrap.paired_bootstrap` (same
seed, so every model is rescored on the same resampled samples), its p-values
Holm-corrected across all pairs of the task, at 5%. Models whose differences are not
significant share a rank. Each model's resampled scores are drawn once and reused by every
pair it is in, which gives the same deltas and CIs as calling ``paired_bootstrap`` per pair.

The p-value is two-sided from the bootstrap standard error of the paired difference
(``erfc(|delta| / (se * sqrt 2))``, normal approximation). ``paired_bootstrap``'s count-based
p-value cannot go below ``1 / (R + 1)``: with Holm over the 1,225 pairs of 50 models that
floor (``~1e-3`` at R = 1000) is never below ``0.05 / 1225``, so no difference could ever be
significant. The count-based value is kept in the JSON as ``p_count``.

>>> from mmbench.metrics.base import get_metric
>>> m = get_metric("exact_match")
>>> stats = {"good": [1.0] * 40, "bad": [0.0] * 35 + [1.0] * 5, "bad2": [0.0] * 36 + [1.0] * 4}
>>> pairs = with_holm(paired_tests(m, "exact_match", stats, n_resamples=200))
>>> rank_models(list(stats), pairs, higher_is_better=True)
{'good': 1, 'bad': 2, 'bad2': 2}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmbench.metrics.base import Metric
from mmbench.metrics.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap_scores_many

ALPHA = 0.05
#: Pairs whose resampled differences (``[pairs, R]`` float64) are held at once: 80 MB at R = 1000.
PAIR_BLOCK = 10_000


@dataclass(frozen=True)
class PairTest:
    """Model ``b`` against model ``a`` on the same samples: ``delta = score(b) - score(a)``."""

    a: str
    b: str
    delta: float
    ci95: tuple[float, float]
    p_value: float
    p_holm: float = 1.0
    p_count: float | None = None

    def significant(self, alpha: float = ALPHA) -> bool:
        return self.p_holm < alpha

    def winner(self, higher_is_better: bool, alpha: float = ALPHA) -> str | None:
        """The significantly better model, or None."""
        if not self.significant(alpha) or self.delta == 0:
            return None
        return self.b if (self.delta > 0) == higher_is_better else self.a

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "delta": self.delta,
            "ci95": list(self.ci95),
            "p_value": self.p_value,
            "p_holm": self.p_holm,
            "p_count": self.p_count,
        }


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as given).

    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [0.0] * m
    running = 0.0
    for k, i in enumerate(order):
        running = max(running, min(1.0, (m - k) * p_values[i]))
        out[i] = round(running, 12)
    return out


def _normal_p(delta: float, se: float) -> float:
    """Two-sided p of ``delta`` under N(0, se^2); a difference with no spread at all is
    certain (0), no difference is 1."""
    if delta == 0:
        return 1.0
    return math.erfc(abs(delta) / (se * math.sqrt(2))) if se > 0 else 0.0


def paired_tests(
    metric: Metric,
    key: str,
    stats: Mapping[str, Sequence[Any]],
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    workers: int | None = None,
    resampled: Mapping[str, np.ndarray] | None = None,
) -> list[PairTest]:
    """Unadjusted paired bootstrap tests of every two models (stats aligned by sample).

    The resample indices are drawn once for all models; the pairs' differences, intervals,
    standard errors and count-based p-values are computed for blocks of pairs at once.
    ``workers``: the bootstrap's threads (default: the usable CPUs); same numbers for any.
    ``resampled``: models whose scores on these resamples (same samples in the same order,
    ``n_resamples`` and ``seed``) are known already (their runs kept them,
    :meth:`~mmbench.samplelog.SampleLog.resampled`); the others are rescored.
    """
    names = list(stats)
    resampled = resampled or {}
    compact = getattr(metric, "compact", None)  # one batch per model (CIDEr-D): gathered once
    if compact is not None:
        stats = {m: compact(stats[m]) for m in names}
    scores = np.array([float(metric.score(stats[m])[key]) for m in names])  # [M]
    rescored = [m for m in names if m not in resampled]
    jobs = [(metric, stats[m]) for m in rescored]
    found = dict(resampled)
    if jobs:
        drawn = bootstrap_scores_many(jobs, n_resamples, seed, workers)
        found.update((m, d[key]) for m, d in zip(rescored, drawn, strict=True))
    draws = np.stack([found[m] for m in names])  # [M, R]
    first, second = np.triu_indices(len(names), 1)  # [P] the pairs in combinations() order
    out = []
    for start in range(0, len(first), PAIR_BLOCK):
        a, b = first[start : start + PAIR_BLOCK], second[start : start + PAIR_BLOCK]
        delta = scores[b] - scores[a]  # [p]
        deltas = draws[b] - draws[a]  # [p, R], same resamples for both models of a pair
        extreme = np.count_nonzero(
            np.abs(deltas - delta[:, None]) >= np.abs(delta)[:, None] - 1e-12, axis=1
        )
        lo, hi = np.quantile(deltas, [ALPHA / 2, 1 - ALPHA / 2], axis=1)  # [p] each
        se = np.std(deltas, axis=1, ddof=1) if n_resamples > 1 else np.zeros(len(a))
        for k in range(len(a)):
            out.append(
                PairTest(
                    names[a[k]],
                    names[b[k]],
                    float(delta[k]),
                    (float(lo[k]), float(hi[k])),
                    _normal_p(float(delta[k]), float(se[k])),
                    p_count=float((1 + extreme[k]) / (n_resamples + 1)),
                )
            )
    return out


def with_holm(pairs: Sequence[PairTest]) -> list[PairTest]:
    """The pairs with Holm-adjusted p-values across all of them."""
    adjusted = holm([p.p_value for p in pairs])
    return [
        PairTest(p.a, p.b, p.delta, p.ci95, p.p_value, q, p.p_count)
        for p, q in zip(pairs, adjusted, strict=True)
    ]


def rank_models(
    models: Sequence[str], pairs: Sequence[PairTest], higher_is_better: bool
) -> dict[str, int]:
    """1 + number of models significantly better (``pairs`` already Holm-adjusted)."""
    beaten_by: dict[str, int] = dict.fromkeys(models, 0)
    for p in pairs:
        win = p.winner(higher_is_better)
        if win is not None:
            beaten_by[p.a if win == p.b else p.b] += 1
    return {m: 1 + beaten_by[m] for m in models}
