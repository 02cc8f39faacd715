"""``mmbench score asr``: corpus WER and CER of a hypotheses file, no model run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmbench.cli._metric_output import AsJson, Resamples


def score_asr(
    references: Annotated[
        Path, typer.Option("--references", help="a *.trans.txt file or a folder searched for them")
    ],
    hypotheses: Annotated[Path, typer.Option("--hypotheses", help="'<utt-id> <text>' lines")],
    normalizer: Annotated[
        str, typer.Option("--normalizer", help="librispeech, english (Whisper's) or none")
    ] = "librispeech",
    resamples: Resamples = 1000,
    as_json: AsJson = False,
) -> None:
    """Word and character error rates (corpus level) with error counts."""
    from mmbench.cli._errors import CommandError
    from mmbench.cli._metric_output import emit
    from mmbench.datasets.trans_files import (
        TranscriptFileError,
        align,
        read_references,
        read_transcripts,
    )
    from mmbench.metrics.base import MetricResult, get_metric
    from mmbench.metrics.bootstrap import confidence_intervals

    try:
        refs = read_references(references)
        data = align(refs, read_transcripts(hypotheses), hypotheses)
    except TranscriptFileError as exc:
        raise CommandError(str(exc)) from None
    out = []
    for name in ("wer", "cer"):
        metric = get_metric(name, normalizer=normalizer)
        stats = metric.stats(data.hypotheses, data.references)
        cis = confidence_intervals(metric, stats, n_resamples=resamples) if resamples else {}
        out.append(
            MetricResult(
                name,
                metric.score(stats)[name],
                metric.signature(),
                cis.get(name),
                metric.extras(stats),
            )
        )
    emit(f"ASR ({hypotheses.name})", out, len(data.ids), as_json)


def register(score_app: typer.Typer) -> None:
    score_app.command("asr")(score_asr)
