"""mmbench's corpus character error rate as a local Hugging Face ``evaluate`` module.

Load offline by path: ``evaluate.load(mmbench.integrations.evaluate_module_path("cer"))``.
"""

import datasets
import evaluate

from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import confidence_intervals


class Cer(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Corpus character error rate (jiwer) after an mmbench normalizer.",
            citation="",
            inputs_description="predictions: list of str; references: list of str",
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references, normalizer="librispeech", n_resamples=0):
        metric = get_metric("cer", normalizer=normalizer)
        stats = metric.stats(predictions, references)
        out = {**metric.score(stats), **metric.extras(stats), "signature": metric.signature()}
        if n_resamples:
            out["ci95"] = confidence_intervals(metric, stats, n_resamples)["cer"]
        return out
