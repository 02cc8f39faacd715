"""VQA accuracy exactly as the official VQAv2 evaluation (GT-Vision-Lab/VQA ``vqaEval.py``).

Per question, with the annotators' answers ``g_1..g_n`` (10 in VQAv2) and the prediction
``r``, the official averages over the n leave-one-out subsets of annotators
``min(1, #matches among the other n-1 / 3)``. With ``m`` the number of annotators whose
answer equals ``r``, that is ``(m * min(1, (m-1)/3) + (n-m) * min(1, m/3)) / n``.

Two revisions of *when* answers are normalized (:mod:`mmbench.normalize.vqa`):

- ``rules="2021"`` (default; a013f00, "Fixed processing answers bug"): every answer gets
  newline/tab cleanup and ``strip``; if the n raw answers are unanimous nothing else is done
  (exact, case-sensitive match); otherwise references *and* prediction get punctuation
  + digit/article/contraction normalization.
- ``rules="legacy"`` (c4e6a0e and earlier, what most papers used): the prediction always
  gets cleanup + full normalization; references are never stripped and get punctuation
  processing only, and only when not unanimous.

Values are fractions in [0, 1] at full precision (the official prints ``round(100*x, 2)``).

>>> m = VQAAccuracy()
>>> refs = [["2"] * 3 + ["3"] * 7, ["yes"] * 10]
>>> st = m.stats(["Two", "Yes"], refs)
>>> [round(s, 4) for s in st]
[0.9, 0.0]
>>> VQAAccuracy(rules="legacy").stats(["Yes"], [["yes"] * 10])
[1.0]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from mmbench.metrics.base import Metric, versioned
from mmbench.normalize.vqa import (
    clean_whitespace,
    normalize_answer,
    normalize_punctuation_only,
)
from mmbench.registry import METRICS

RULES = ("2021", "legacy")
#: The official file revisions each rule set reproduces (GT-Vision-Lab/VQA commits).
RULES_SOURCE = {"2021": "a013f00", "legacy": "c4e6a0e"}


def question_accuracy(prediction: str, references: Sequence[str], rules: str = "2021") -> float:
    """Accuracy of one prediction against one question's annotator answers.

    >>> question_accuracy("cat", ["cat"] + ["dog"] * 9)  # 9 subsets see the match, 1 does not
    0.3
    """
    n = len(references)
    if rules == "2021":
        refs = [clean_whitespace(a) for a in references]
        res = clean_whitespace(prediction)
        if len(set(refs)) > 1:
            refs = [normalize_answer(a) for a in refs]
            res = normalize_answer(res)
    else:
        res = normalize_answer(clean_whitespace(prediction))
        refs = list(references)
        if len(set(refs)) > 1:
            refs = [normalize_punctuation_only(a) for a in refs]
    if n == 0:
        return 0.0
    hits = [a == res for a in refs]
    m = sum(hits)
    # summed in annotator order like the official loop, so values match it bit for bit
    return sum(min(1.0, (m - h) / 3) for h in hits) / n


def breakdown(stats: Sequence[float], groups: Sequence[str]) -> dict[str, float]:
    """Mean accuracy per group label (answer type or question type), like ``perAnswerType``.

    >>> breakdown([1.0, 0.0, 0.5], ["yes/no", "number", "yes/no"])
    {'number': 0.0, 'yes/no': 0.75}
    """
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for value, group in zip(stats, groups, strict=True):
        acc = sums[group]
        acc[0] += value
        acc[1] += 1
    return {g: s / c for g, (s, c) in sorted(sums.items())}


@METRICS.register("vqa_accuracy")
class VQAAccuracy(Metric):
    """Official VQAv2 accuracy; per-sample statistic = that question's accuracy."""

    name = "vqa_accuracy"
    keys = ("vqa_accuracy",)

    def __init__(self, rules: str = "2021") -> None:
        rules = str(rules)
        if rules not in RULES:
            raise ValueError(f"vqa_accuracy rules must be one of {RULES}, got {rules!r}")
        self.rules = rules

    def stats(self, predictions: Sequence[str], references: Sequence[Sequence[str]]) -> list[float]:
        rules = self.rules
        return [
            question_accuracy(p, refs, rules)
            for p, refs in zip(predictions, references, strict=True)
        ]

    def score(self, stats: Sequence[float]) -> dict[str, float]:
        return {"vqa_accuracy": float(np.mean(stats)) if len(stats) else 0.0}

    def resample(self, stats: Sequence[float], idx: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of many resamples at once: ``idx`` is ``[R, n]``, values are ``[R]``."""
        values = np.asarray(stats, dtype=np.float64)
        return {"vqa_accuracy": values[idx].mean(axis=1)}

    def signature(self) -> str:
        return versioned(
            "vqa-acc",
            f"rules:{self.rules}",
            f"src:vqaEval.py@{RULES_SOURCE[self.rules]}",
            "norm:vqa",
            "agg:loo-min1-m/3",
        )
