"""``mmbench score caption``: COCO caption results file -> BLEU-1..4, ROUGE-L, CIDEr-D, METEOR."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mmbench.cli._errors import CommandError


def register(score_app: typer.Typer) -> None:
    @score_app.command("caption")
    def caption(
        annotations: Path = typer.Option(..., help="COCO captions JSON (captions_val2017.json)"),  # noqa: B008
        results: Path = typer.Option(..., help='results JSON: [{"image_id", "caption"}, ...]'),  # noqa: B008
        metric: list[str] = typer.Option(  # noqa: B008
            ["bleu", "rouge_l", "cider"],
            help="metrics (repeatable): bleu, rouge_l, cider, meteor (needs Java)",
        ),
        bootstrap: int = typer.Option(1000, help="resamples for the 95% CIs (0: none)"),
        as_json: bool = typer.Option(False, "--json", help="print scores as JSON"),
    ) -> None:
        """Score a COCO caption results file (pycocoevalcap's numbers, no Java needed)."""
        from mmbench.metrics.coco_caption import CaptionFileError, evaluate_coco_captions
        from mmbench.metrics.meteor import MeteorUnavailable, meteor_status, spice_status

        if "spice" in metric:
            raise CommandError(spice_status())
        if "meteor" in metric and meteor_status():
            raise CommandError(meteor_status())
        try:
            scores = evaluate_coco_captions(annotations, results, metric, n_resamples=bootstrap)
        except (CaptionFileError, MeteorUnavailable) as exc:
            raise CommandError(str(exc)) from None
        if as_json:
            typer.echo(json.dumps({k: v.to_json() for k, v in scores.items()}, indent=2))
            return
        from mmbench.cli._table import TextTable, console, format_score, show

        table = TextTable(
            ["metric", "score [95% CI]"],
            title=f"{results.name} (95% bootstrap CI)",
            right={"score [95% CI]"},
        )
        for key, res in scores.items():
            table.add_row(key, " ".join(format_score(res.to_json())).strip())
        out = console()
        show(table, out)
        for sig in dict.fromkeys(r.signature for r in scores.values()):
            out.print(f"  {sig}", highlight=False, soft_wrap=True)
