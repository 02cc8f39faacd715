"""mmbench's official VQAv2 accuracy as a local Hugging Face ``evaluate`` module.

Load offline by path: ``evaluate.load(mmbench.integrations.evaluate_module_path("vqa_accuracy"))``.
"""

import datasets
import evaluate

from mmbench.metrics.bootstrap import confidence_intervals
from mmbench.metrics.vqa_accuracy import VQAAccuracy


class VqaAccuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description="VQAv2 accuracy as in GT-Vision-Lab/VQA vqaEval.py (rules 2021/legacy).",
            citation="Goyal et al., Making the V in VQA Matter, CVPR 2017.",
            inputs_description="predictions: list of str; references: list of lists of 10 str",
            features=datasets.Features(
                {
                    "predictions": datasets.Value("string"),
                    "references": datasets.Sequence(datasets.Value("string")),
                }
            ),
        )

    def _compute(self, predictions, references, rules="2021", n_resamples=0):
        metric = VQAAccuracy(rules=rules)
        stats = metric.stats(predictions, references)
        out = {**metric.score(stats), "signature": metric.signature()}
        if n_resamples:
            out["ci95"] = confidence_intervals(metric, stats, n_resamples)["vqa_accuracy"]
        return out
