"""Seeded percentile bootstrap over samples: a 95% CI for every metric value.

Resamples sample indices with replacement and recomputes the corpus score from the
resampled per-sample statistics (so corpus metrics are recomputed, not averaged).

>>> from mmbench.metrics.base import get_metric
>>> m = get_metric("exact_match")
>>> ci = confidence_intervals(m, [1.0, 0.0, 1.0, 1.0], n_resamples=200)
>>> 0.0 <= ci["exact_match"][0] <= 0.75 <= ci["exact_match"][1] <= 1.0
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mmbench.metrics.base import Metric

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 12345


def resample_indices(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """``[n_resamples, n]`` indices drawn with replacement from a seeded generator."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, n, size=(n_resamples, n))


def confidence_intervals(
    metric: Metric,
    stats: Sequence[Any],
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    alpha: float = 0.05,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap CI for each of ``metric``'s keys; empty stats give no CI."""
    n = len(stats)
    if n == 0:
        return {}
    idx = resample_indices(n, n_resamples, seed)
    draws: dict[str, Any] = {}
    if hasattr(metric, "resample"):  # vectorized path: {key: [n_resamples]} in one call
        draws = metric.resample(stats, idx)
    else:
        for row in idx:
            for key, value in metric.score([stats[i] for i in row]).items():
                draws.setdefault(key, []).append(value)
    return {
        key: (
            float(np.quantile(values, alpha / 2)),
            float(np.quantile(values, 1 - alpha / 2)),
        )
        for key, values in draws.items()
    }
