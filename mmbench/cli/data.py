"""``mmbench data check``: verify a task's files, counts and media, and say where to get them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

data_app = typer.Typer(help="Check datasets on disk.", no_args_is_help=True)

MAX_LISTED = 20


def _print_report(console, report) -> None:  # report: mmbench.datasets.check.DataReport
    from rich.markup import escape

    console.print(f"[bold]{report.task}[/] under {escape(str(report.data_root))}")
    for f, exists in report.files:
        mark = "[green]ok[/]     " if exists else "[red]MISSING[/]"
        console.print(f"  {mark} {escape(f.what)}: {escape(str(f.path))}")
        console.print(f"          from {escape(f.source)}", highlight=False)
    if report.error:
        console.print(f"  [red]ERROR[/]   {escape(report.error)}")
    if report.found is not None:
        expected = f" (expected {report.expected:,})" if report.expected is not None else ""
        mark = "[green]ok[/]     " if report.count_ok else "[red]COUNT[/]  "
        console.print(f"  {mark} {report.found:,} samples{expected}")
        bad = len(report.problems)
        mark = "[green]ok[/]     " if not bad else "[red]BAD[/]    "
        console.print(
            f"  {mark} {report.media_checked:,} media files checked, {bad:,} missing or corrupt"
        )
        for p in report.problems[:MAX_LISTED]:
            console.print(
                f"          sample {p.sample_id}: {escape(str(p.path))}: {escape(p.reason)}"
            )
        if bad > MAX_LISTED:
            console.print(f"          ... and {bad - MAX_LISTED:,} more")
    if not report.ok and report.how_to_get:
        console.print(f"  how to get the data: {escape(report.how_to_get)}", highlight=False)
    console.print(f"  => {'[green]OK[/]' if report.ok else '[red]NOT OK[/]'}")


@data_app.command("check")
def check(
    task: Annotated[
        list[str], typer.Option("--task", "-t", help="task name or task YAML path (repeatable)")
    ],
    data_root: Annotated[
        Path | None,
        typer.Option(help="datasets root [default: $MMBENCH_DATA or ~/.cache/mmbench/data]"),
    ] = None,
    quick: Annotated[bool, typer.Option(help="only check media files exist (no decoding)")] = False,
) -> None:
    """Verify layout, sample counts and media files of tasks; exit status 1 if anything is wrong."""
    from rich.console import Console
    from rich.progress import Progress

    from mmbench.datasets.check import check_task
    from mmbench.tasks import load_task

    console = Console()
    all_ok = True
    for name in task:
        t = load_task(name)
        with Progress(console=console, transient=True) as bar:
            bar_id = bar.add_task(f"checking {t.name} media", total=None)
            report = check_task(
                t, data_root, quick, lambda i, n, b=bar_id: bar.update(b, completed=i, total=n)
            )
        _print_report(console, report)
        all_ok = all_ok and report.ok
    if not all_ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(data_app, name="data")
