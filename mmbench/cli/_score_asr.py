"""``mmbench score asr``: corpus WER and CER of a hypotheses file, no model run."""

from __future__ import annotations

from pathlib import Path

import typer


def score_asr(
    references: Path = typer.Option(
        ..., "--references", help="a *.trans.txt file or a folder searched for them"
    ),
    hypotheses: Path = typer.Option(..., "--hypotheses", help="'<utt-id> <text>' lines"),
    normalizer: str = typer.Option(
        "librispeech", "--normalizer", help="librispeech, english (Whisper's) or none"
    ),
    resamples: int = typer.Option(
        1000, "--bootstrap", min=0, help="bootstrap resamples for CIs (0: none)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print scores, CIs and signatures as JSON"),
) -> None:
    """Word and character error rates (corpus level) with error counts."""
    import click

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
        raise click.ClickException(str(exc)) from None
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
