"""Robustness summaries of a score-vs-severity curve (pure functions of scores).

Noise level: clean is 0 and severity ``s`` of 5 is ``s / 5``, so a curve spans [0, 1] as in
MultiBench (Liang et al., NeurIPS 2021 Datasets & Benchmarks; ``eval_scripts/robustness.py``),
whose two measures are:

- **relative robustness**: the area under the score-vs-noise-level curve (trapezoid rule);
- **effective robustness**: ``sum_i (f_i - (b_i + f_0 - b_0))``, the score above a baseline
  ``b`` shifted to the same clean score (MultiBench's baseline is late fusion; here it is
  ``--baseline``). MultiBench then min-max normalises both across its model zoo; mmbench
  reports the raw values, as the zoo is whatever you compare.

ImageNet-C (Hendrycks & Dietterich, ICLR 2019) adds the **corruption error**
``CE = sum_s E_s / sum_s E^base_s`` over severities 1-5 (``E`` = error: ``1 - score`` for a
higher-is-better score, the score itself for WER/CER), its mean over corruptions (**mCE**) and
the **relative** CE, ``sum_s (E_s - E_clean) / sum_s (E^base_s - E^base_clean)``; both in %.

>>> relative_robustness([1.0, 0.8, 0.6, 0.4, 0.2, 0.0], [0, 0.2, 0.4, 0.6, 0.8, 1.0])
0.5
>>> effective_robustness([0.9, 0.8], [0.7, 0.5])
0.1
>>> corruption_error([0.2, 0.4], [0.4, 0.8])
50.0
"""

from __future__ import annotations

from collections.abc import Sequence

N_SEVERITIES = 5


def noise_level(severity: int) -> float:
    """Severity 0 (clean) to 5 as a noise level in [0, 1]."""
    return severity / N_SEVERITIES


def relative_robustness(scores: Sequence[float], levels: Sequence[float]) -> float:
    """MultiBench's relative robustness: trapezoid area under ``scores`` over ``levels``."""
    area = 0.0
    for i in range(len(scores) - 1):
        area += (scores[i] + scores[i + 1]) * (levels[i + 1] - levels[i]) / 2
    return round(area, 12)


def effective_robustness(scores: Sequence[float], baseline: Sequence[float]) -> float:
    """MultiBench's effective robustness against ``baseline`` (same levels, clean first)."""
    if len(scores) != len(baseline):
        raise ValueError("effective robustness needs the same noise levels for both curves")
    shift = scores[0] - baseline[0]
    return round(sum(f - (b + shift) for f, b in zip(scores, baseline, strict=True)), 12)


def error(score: float, higher_is_better: bool) -> float:
    """ImageNet-C's error: ``1 - score`` (accuracy-like) or the score (WER, CER)."""
    return 1.0 - score if higher_is_better else score


def corruption_error(errors: Sequence[float], baseline_errors: Sequence[float]) -> float | None:
    """CE in %: summed errors over severities 1-5 relative to the baseline's (None if 0)."""
    denominator = sum(baseline_errors)
    return None if denominator == 0 else round(100.0 * sum(errors) / denominator, 10)


def relative_corruption_error(
    errors: Sequence[float],
    clean_error: float,
    baseline_errors: Sequence[float],
    baseline_clean_error: float,
) -> float | None:
    """Relative CE in %: the degradation from clean relative to the baseline's (None if 0)."""
    denominator = sum(e - baseline_clean_error for e in baseline_errors)
    if denominator == 0:
        return None
    return round(100.0 * sum(e - clean_error for e in errors) / denominator, 10)
