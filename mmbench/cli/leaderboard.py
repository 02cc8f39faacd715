"""``mmbench leaderboard``: rank models from results files and their sample logs."""

from __future__ import annotations

from pathlib import Path

import typer


def _metric_option(values: list[str]) -> dict[str, str] | str | None:
    """``--metric KEY`` for every task, or ``--metric TASK=KEY`` (repeatable)."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    out = {}
    for v in values:
        task, sep, key = v.partition("=")
        if not sep or not task or not key:
            raise typer.BadParameter(f"--metric {v!r}: use KEY, or TASK=KEY per task")
        out[task] = key
    return out


def leaderboard(
    paths: list[Path] = typer.Argument(..., help="results files (*.json) or folders of them"),
    out: Path = typer.Option("leaderboard", "--out", "-o", help="output folder"),
    title: str = typer.Option("mmbench leaderboard", "--title", help="page and table title"),
    task: list[str] = typer.Option(None, "--task", "-t", help="task to show (repeatable)"),
    metric: list[str] = typer.Option(
        None, "--metric", "-m", help="score that ranks: KEY, or TASK=KEY (repeatable)"
    ),
    baseline: str = typer.Option(None, "--baseline", help="model every other is compared to"),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=10, help="paired bootstrap resamples"),
    no_html: bool = typer.Option(False, "--no-html", help="skip index.html (and its plots)"),
    embed_media: bool = typer.Option(
        False,
        "--embed-media",
        help="show the browser's samples with their images (<= 128 px) and audio (3 s)",
    ),
) -> None:
    """Rank models per task (paired bootstrap, Holm) with CIs and cost; write Markdown, CSV,
    JSON and one self-contained index.html to --out. Exits 1 if any input was skipped."""
    from mmbench.cli._errors import CommandError
    from mmbench.report.inputs import collect
    from mmbench.report.output import write_board

    found = collect(paths)
    if not found.entries:
        problems = "; ".join(map(str, found.skipped)) or "no input"
        raise CommandError(f"no valid results to build a board from: {problems}")
    if baseline is not None and baseline not in {e.model for e in found.entries}:
        raise CommandError(f"--baseline {baseline!r} is not a model of this board")
    notes: list[str] = []
    board, files = write_board(
        found,
        out,
        title,
        task or None,
        _metric_option(metric or []),
        baseline,
        bootstrap,
        html=not no_html,
        embed_media=embed_media,
        notes=notes,
    )
    import sys

    from mmbench.cli._table import TextTable, show
    from mmbench.report.tables import CONTENDED_NOTE, quality_rows
    from mmbench.units import CONTENDED_MARK as MARK

    header, rows = quality_rows(board)
    show(TextTable(header, rows, title=board.title))
    if any(r["contended"] for t in board.tasks for r in t.rows.values()):
        print(f"{MARK} throughput {CONTENDED_NOTE} (see {out / 'leaderboard.md'})")
    for s in board.skipped:
        print(f"skipped: {s}", file=sys.stderr)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    print(f"wrote {', '.join(str(f) for f in files)}")
    if board.skipped:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("leaderboard")(leaderboard)
