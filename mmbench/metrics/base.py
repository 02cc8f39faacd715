"""The metric protocol: ``stats`` per sample, ``score`` over any subset of them.

A metric turns (prediction, references) pairs into per-sample sufficient statistics, and a
list of statistics into one or more named values. Corpus metrics (CIDEr-D, WER) merge the
statistics, so batched == one-shot, shards merge by concatenation, and bootstrap resampling
only re-runs ``score`` on resampled statistics. Metric modules must not import torch at
module level (``mmbench score`` starts without it).

>>> m = get_metric("exact_match")
>>> st = m.stats(["Red", "circle"], [["red"], ["square"]])
>>> m.score(st)
{'exact_match': 0.5}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mmbench import __version__
from mmbench.registry import METRICS


@dataclass(frozen=True)
class MetricResult:
    """One named value with its 95% CI and the signature of the scorer that produced it."""

    name: str
    value: float
    signature: str
    ci95: tuple[float, float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "signature": self.signature}
        out["ci95"] = list(self.ci95) if self.ci95 is not None else None
        if self.extra:
            out["extra"] = self.extra
        return out


class Metric(ABC):
    """Base class for metrics; subclasses register with ``@METRICS.register(name)``.

    ``keys`` lists the names ``score`` returns; ``higher_is_better`` orders leaderboards.
    """

    name: str = ""
    keys: tuple[str, ...] = ()
    higher_is_better: bool = True

    @abstractmethod
    def stats(self, predictions: Sequence[str], references: Sequence[Sequence[str]]) -> list[Any]:
        """Per-sample sufficient statistics, one entry per prediction, same order."""

    @abstractmethod
    def score(self, stats: Sequence[Any]) -> dict[str, float]:
        """Corpus-level values (``keys``) from any list of per-sample statistics."""

    @abstractmethod
    def signature(self) -> str:
        """A sacrebleu-style string naming every choice that changes the number."""

    def extras(self, stats: Sequence[Any]) -> dict[str, Any]:
        """Extra values stored next to the first key's score (e.g. WER's error counts)."""
        return {}


def versioned(*parts: str) -> str:
    """Join signature parts and append the mmbench version: ``a|b|mmbench:X``."""
    return "|".join([*parts, f"mmbench:{__version__}"])


def get_metric(name: str, **options: Any) -> Metric:
    """Instantiate the metric registered as ``name`` with task options (e.g. ``rules``)."""
    return METRICS.get(name)(**options)


@METRICS.register("exact_match")
class ExactMatch(Metric):
    """Accuracy of exact matches after a normalizer (default ``lower``) against any reference."""

    name = "exact_match"
    keys = ("exact_match",)

    def __init__(self, normalizer: str = "lower") -> None:
        from mmbench.normalize import get_normalizer

        self.normalizer_name = normalizer
        self._norm = get_normalizer(normalizer)

    def stats(self, predictions: Sequence[str], references: Sequence[Sequence[str]]) -> list[float]:
        norm = self._norm
        return [
            float(any(norm(p) == norm(r) for r in refs))
            for p, refs in zip(predictions, references, strict=True)
        ]

    def score(self, stats: Sequence[float]) -> dict[str, float]:
        return {"exact_match": float(sum(stats) / len(stats)) if stats else 0.0}

    def resample(self, stats: Sequence[float], idx: Any) -> dict[str, Any]:
        """Scores of many resamples at once: ``idx`` ``[R, n]`` -> ``[R]`` (numpy)."""
        import numpy as np

        return {"exact_match": np.asarray(stats, dtype=np.float64)[idx].mean(axis=1)}

    def signature(self) -> str:
        return versioned("exact-match", f"norm:{self.normalizer_name}", "refs:any")
