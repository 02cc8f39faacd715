"""mmbench metrics as ``torchmetrics.Metric`` objects for training loops.

The state is each metric's sufficient statistics (a sum and a count for per-question
accuracies; substitution/deletion/insertion/hit totals for WER/CER), all reduced with
``sum``, so a distributed ``compute`` equals scoring the union of every rank's samples.

>>> m = VQAAccuracy()
>>> m.update(["two"], [["2"] * 3 + ["3"] * 7])
>>> round(float(m.compute()), 4)
0.9
>>> w = WordErrorRate(normalizer="none")
>>> w.update(["a b"], ["a b c"])
>>> float(w.compute())
0.3333333333333333
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torchmetrics import Metric as _TorchMetric

from mmbench.metrics.base import get_metric


class _MeanOfStats(_TorchMetric):
    """A metric whose score is the mean of per-sample values; state: sum and count."""

    full_state_update = False
    higher_is_better = True
    metric_name = ""

    def __init__(self, **options: Any) -> None:
        super().__init__()
        self.scorer = get_metric(self.metric_name, **options)
        self.add_state("total", torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", torch.tensor(0, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, preds: Sequence[str], target: Sequence[Sequence[str]]) -> None:
        stats = self.scorer.stats(list(preds), [list(t) for t in target])
        self.total += torch.tensor(sum(stats), dtype=torch.float64)
        self.count += len(stats)

    def compute(self) -> torch.Tensor:
        return self.total / self.count.clamp(min=1)


class VQAAccuracy(_MeanOfStats):
    """Official VQAv2 accuracy (``rules="2021"`` or ``"legacy"``); targets: annotator answers."""

    metric_name = "vqa_accuracy"


class ExactMatch(_MeanOfStats):
    """Exact match after a normalizer (default ``lower``) against any reference."""

    metric_name = "exact_match"


class _ErrorRate(_TorchMetric):
    """Corpus error rate; state: ``[4]`` totals of (S, D, I, H)."""

    full_state_update = False
    higher_is_better = False
    metric_name = ""

    def __init__(self, normalizer: str = "librispeech") -> None:
        super().__init__()
        self.scorer = get_metric(self.metric_name, normalizer=normalizer)
        self.add_state("counts", torch.zeros(4, dtype=torch.long), dist_reduce_fx="sum")

    def update(self, preds: Sequence[str], target: Sequence[str]) -> None:
        stats = self.scorer.stats(list(preds), list(target))
        if stats:
            self.counts += torch.tensor(stats, dtype=torch.long).sum(dim=0)  # [n, 4] -> [4]

    def compute(self) -> torch.Tensor:
        s, d, i, h = self.counts.double()
        return (s + d + i) / (s + d + h).clamp(min=1)


class WordErrorRate(_ErrorRate):
    """Corpus WER after a normalizer preset (``librispeech``, ``english``, ``none``)."""

    metric_name = "wer"


class CharErrorRate(_ErrorRate):
    """Corpus CER after a normalizer preset."""

    metric_name = "cer"
