"""``mmbench ls tasks|suites|models|perturbations``: tables on a terminal, Markdown in a pipe,
or JSON."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from mmbench.cli._table import TextTable, console, show

ls_app = typer.Typer(help="List tasks, suites, models and perturbations.", no_args_is_help=True)

AsJson = Annotated[bool, typer.Option("--json", help="print a JSON list instead of a table")]


def _emit(table: TextTable, as_json: bool) -> None:
    if as_json:
        rows = [dict(zip(table.columns, r, strict=True)) for r in table.rows]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        show(table)


@ls_app.command("tasks")
def ls_tasks(as_json: AsJson = False) -> None:
    """Shipped tasks with kind, version, metrics and description."""

    from mmbench.tasks import list_tasks, load_task

    table = TextTable(["task", "kind", "version", "metrics", "description"], wrap={"description"})
    for name in list_tasks():
        t = load_task(name)
        metrics = ", ".join(m.name for m in t.metrics)
        table.add_row(t.name, t.kind.value, str(t.version), metrics, t.description)
    _emit(table, as_json)


@ls_app.command("suites")
def ls_suites(as_json: AsJson = False) -> None:
    """Suites (named lists of tasks) for ``mmbench run --suite``."""

    from mmbench.tasks import list_suites

    suites = sorted(list_suites().items())
    if as_json:
        typer.echo(json.dumps([{"suite": n, "tasks": t} for n, t in suites], indent=2))
        return
    table = TextTable(["suite", "tasks"], wrap={"tasks"})
    for name, tasks in suites:
        table.add_row(name, ", ".join(tasks))
    show(table)


@ls_app.command("models")
def ls_models(as_json: AsJson = False) -> None:
    """Registered models (built-in and from the ``mmbench.models`` entry-point group)."""

    from mmbench.registry import MODELS

    table = TextTable(["model", "description", "--model-arg keys"], wrap={"description"})
    for name, factory in MODELS.items():
        doc = (getattr(factory, "__doc__", "") or "").strip().splitlines()
        keys = ", ".join(sorted(getattr(factory, "MODEL_ARGS", None) or {}))
        table.add_row(name, doc[0] if doc else "", keys)
    _emit(table, as_json)
    if not as_json:
        console().print("Any importable factory works too: --model package.module:factory")


@ls_app.command("perturbations")
def ls_perturbations(as_json: AsJson = False) -> None:
    """Perturbations for ``--perturb`` with their severity 1-5 values (docs/robustness.md)."""
    from mmbench.perturb.definition import format_value
    from mmbench.registry import PERTURBATIONS

    table = TextTable(["perturbation", "parameter", "severities 1-5", "source"], wrap={"source"})
    for name, d in PERTURBATIONS.items():
        levels = ", ".join(format_value(v) for v in d.levels)
        table.add_row(name, f"{d.param} ({d.unit})" if d.param else "-", levels or "-", d.source)
    _emit(table, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(ls_app, name="ls")
