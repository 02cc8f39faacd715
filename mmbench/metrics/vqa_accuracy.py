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
from collections.abc import Callable, Iterable, Sequence

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
    return VQAAccuracy(rules).stats([prediction], [references])[0]


class _Vocab:
    """Distinct strings -> ids, with each string's cleaned / normalized forms as id arrays.

    Answers repeat heavily, so every rule runs once per distinct string and the per-question
    work is integer comparisons in numpy.
    """

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}  # insertion order == id order

    def encode(self, texts: Iterable[str]) -> list[int]:
        ids = self.ids
        add = ids.setdefault  # one C call per string; a new string gets the next id
        return [add(t, len(ids)) for t in texts]

    def mapped(self, fn: Callable[[str], str]) -> np.ndarray:
        """``[V]`` ids of ``fn(s)`` for every string ``s`` known now (new ones get added)."""
        return np.array(self.encode([fn(t) for t in list(self.ids)]), dtype=np.int64)


def _row_accuracy(hits: np.ndarray) -> np.ndarray:
    """``hits`` ``[N, n]`` bool -> ``[N]`` leave-one-out accuracies, summed in annotator order
    like the official loop so values match it bit for bit."""
    n = hits.shape[1]
    m = hits.sum(axis=1, keepdims=True)  # [N, 1]
    per = np.minimum(1.0, (m - hits) / 3)  # [N, n]
    total = np.zeros(hits.shape[0])
    for j in range(n):
        total = total + per[:, j]
    return total / n


def _accuracies(
    predictions: Sequence[str], references: Sequence[Sequence[str]], rules: str
) -> np.ndarray:
    vocab = _Vocab()
    pred = np.array(vocab.encode(predictions), dtype=np.int64)  # [N]
    by_len: dict[int, list[int]] = defaultdict(list)
    for k, refs in enumerate(references):
        by_len[len(refs)].append(k)
    groups = {
        n: (
            np.array(rows),
            np.array(vocab.encode(a for k in rows for a in references[k]), dtype=np.int64).reshape(
                len(rows), n
            ),
        )
        for n, rows in by_len.items()
        if n
    }  # n -> (rows [G], raw reference ids [G, n])
    clean = vocab.mapped(clean_whitespace)
    if rules == "2021":
        full = vocab.mapped(normalize_answer)
        pred_c = clean[pred]
        pred_n = full[pred_c]
    else:
        full = vocab.mapped(normalize_answer)
        punct = vocab.mapped(normalize_punctuation_only)
        pred_n = full[clean[pred]]
    out = np.zeros(len(pred))
    for rows, raw in groups.values():
        if rules == "2021":
            refs = clean[raw]  # [G, n]
            unanimous = (refs == refs[:, :1]).all(axis=1)  # [G]
            refs = np.where(unanimous[:, None], refs, full[refs])
            res = np.where(unanimous, pred_c[rows], pred_n[rows])  # [G]
        else:
            unanimous = (raw == raw[:, :1]).all(axis=1)
            refs = np.where(unanimous[:, None], raw, punct[raw])
            res = pred_n[rows]
        out[rows] = _row_accuracy(refs == res[:, None])
    return out


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
        if len(predictions) != len(references):
            raise ValueError(
                f"{len(predictions)} predictions for {len(references)} reference lists"
            )
        return _accuracies(predictions, references, self.rules).tolist()

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
