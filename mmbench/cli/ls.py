"""``mmbench ls tasks|models|suites|perturbations``."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

ls_app = typer.Typer(help="List tasks, suites, models and perturbations.", no_args_is_help=True)


@ls_app.command("tasks")
def ls_tasks() -> None:
    """Shipped tasks with kind, version, metrics and description."""
    from mmbench.tasks import list_tasks, load_task

    table = Table("task", "kind", "version", "metrics", "description")
    for name in list_tasks():
        t = load_task(name)
        table.add_row(
            t.name,
            t.kind.value,
            str(t.version),
            ", ".join(m.name for m in t.metrics),
            t.description,
        )
    Console().print(table)


@ls_app.command("suites")
def ls_suites() -> None:
    """Suites (named lists of tasks) for ``mmbench run --suite``."""
    from mmbench.tasks import list_suites

    table = Table("suite", "tasks")
    for name, tasks in sorted(list_suites().items()):
        table.add_row(name, ", ".join(tasks))
    Console().print(table)


@ls_app.command("models")
def ls_models() -> None:
    """Registered models (built-in and from the ``mmbench.models`` entry-point group)."""
    from mmbench.registry import MODELS

    table = Table("model", "description")
    for name, factory in MODELS.items():
        doc = (getattr(factory, "__doc__", "") or "").strip().splitlines()
        table.add_row(name, doc[0] if doc else "")
    Console().print(table)
    Console().print("Any importable factory works too: --model package.module:factory")


@ls_app.command("perturbations")
def ls_perturbations() -> None:
    """Perturbations for ``--perturb`` with their severity 1-5 values (docs/robustness.md)."""
    from mmbench.cli._table import console
    from mmbench.perturb.definition import format_value
    from mmbench.registry import PERTURBATIONS

    table = Table("perturbation", "parameter", "severities 1-5", "source")
    for name, d in PERTURBATIONS.items():
        levels = ", ".join(format_value(v) for v in d.levels)
        table.add_row(name, f"{d.param} ({d.unit})" if d.param else "-", levels or "-", d.source)
    console().print(table)  # pipe-wide: the severity tables are the point


def register(app: typer.Typer) -> None:
    app.add_typer(ls_app, name="ls")
