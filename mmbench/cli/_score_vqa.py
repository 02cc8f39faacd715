"""``mmbench score vqa``: official VQAv2 accuracy of a results file, no model run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbench.cli._metric_output import AsJson, Resamples


def score_vqa(
    questions: Annotated[
        Path, typer.Option("--questions", help="v2_OpenEnded_mscoco_<split>_questions.json")
    ],
    annotations: Annotated[
        Path, typer.Option("--annotations", help="v2_mscoco_<split>_annotations.json")
    ],
    results: Annotated[
        Path, typer.Option("--results", help='results JSON: [{"question_id", "answer"}]')
    ],
    rules: Annotated[
        str, typer.Option("--rules", help="2021 (current vqaEval.py) or legacy (pre-2021)")
    ] = "2021",
    resamples: Resamples = 1000,
    as_json: AsJson = False,
) -> None:
    """VQA accuracy overall, per answer type and per question type."""
    from mmbench.cli._errors import CommandError
    from mmbench.cli._metric_output import emit
    from mmbench.datasets.vqa_files import VQAFileError, load_vqa_eval
    from mmbench.metrics.base import MetricResult
    from mmbench.metrics.bootstrap import confidence_intervals
    from mmbench.metrics.vqa_accuracy import RULES, VQAAccuracy, breakdown

    if rules not in RULES:
        raise typer.BadParameter(f"--rules must be one of {', '.join(RULES)}")
    try:
        data = load_vqa_eval(questions, annotations, results)
    except VQAFileError as exc:
        raise CommandError(str(exc)) from None
    metric = VQAAccuracy(rules=rules)
    stats = metric.stats(data.predictions, data.references)
    value = metric.score(stats)["vqa_accuracy"]
    cis = confidence_intervals(metric, stats, n_resamples=resamples) if resamples else {}
    per_answer = breakdown(stats, data.answer_types)
    per_question = breakdown(stats, data.question_types)
    result = MetricResult(
        "vqa_accuracy",
        value,
        metric.signature(),
        cis.get("vqa_accuracy"),
        {"per_answer_type": per_answer, "per_question_type": per_question},
    )
    emit(
        f"VQA accuracy ({results.name})",
        [result],
        len(stats),
        as_json,
        {"per answer type": per_answer, "per question type": per_question} if not as_json else None,
    )


def register(score_app: typer.Typer) -> None:
    score_app.command("vqa")(score_vqa)
