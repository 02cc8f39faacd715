"""mmbench's corpus word error rate as a local Hugging Face ``evaluate`` module.

Load offline by path: ``evaluate.load(mmbench.integrations.evaluate_module_path("wer"))``.
"""

import datasets
import evaluate

from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import confidence_intervals


class Wer(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="Corpus word error rate through jiwer after an mmbench normalizer preset.",
            citation="",
            inputs_description="predictions: list of str; references: list of str",
            features=datasets.Features(
                {"predictions": datasets.Value("string"), "references": datasets.Value("string")}
            ),
        )

    def _compute(self, predictions, references, normalizer="librispeech", n_resamples=0):
        metric = get_metric("wer", normalizer=normalizer)
        stats = metric.stats(predictions, references)
        out = {**metric.score(stats), **metric.extras(stats), "signature": metric.signature()}
        if n_resamples:
            out["ci95"] = confidence_intervals(metric, stats, n_resamples)["wer"]
        return out
