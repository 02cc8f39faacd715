"""``mmbench ls tasks|models|suites``."""

from __future__ import annotations

import typer

ls_app = typer.Typer(help="List tasks, suites and models.", no_args_is_help=True)


@ls_app.command("tasks")
def ls_tasks() -> None:
    """Shipped tasks with kind, version, metrics and description."""
    from rich.console import Console
    from rich.table import Table

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
    from rich.console import Console
    from rich.table import Table

    from mmbench.tasks import list_suites

    table = Table("suite", "tasks")
    for name, tasks in sorted(list_suites().items()):
        table.add_row(name, ", ".join(tasks))
    Console().print(table)


@ls_app.command("models")
def ls_models() -> None:
    """Registered models (built-in and from the ``mmbench.models`` entry-point group)."""
    from rich.console import Console
    from rich.table import Table

    from mmbench.registry import MODELS

    table = Table("model", "description")
    for name, factory in MODELS.items():
        doc = (getattr(factory, "__doc__", "") or "").strip().splitlines()
        table.add_row(name, doc[0] if doc else "")
    Console().print(table)
    Console().print("Any importable factory works too: --model package.module:factory")


def register(app: typer.Typer) -> None:
    app.add_typer(ls_app, name="ls")
