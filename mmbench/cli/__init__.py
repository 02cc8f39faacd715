"""The ``mmbench`` command. Each subcommand lives in its own module with ``register(app)``.

Modules here parse and print only, and a command's module is imported only when that command
runs (:class:`LazyGroup`): ``mmbench --help`` lists :data:`COMMANDS` without building any
command, and ``mmbench score ...`` builds the score commands alone, without torch.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer.core import TyperGroup

#: Every subcommand (its module is ``mmbench.cli.<name>``) and the first sentence of its help,
#: as ``mmbench --help`` lists it; a test keeps each equal to the command's own help.
COMMANDS: dict[str, str] = {
    "run": "Evaluate MODEL on tasks; predictions are stored as they come and a rerun resumes.",
    "score": "Score prediction files in the official formats.",
    "leaderboard": "Rank models per task (paired bootstrap, Holm) with CIs and cost; write "
    "Markdown, CSV, JSON and one self-contained index.html to --out.",
    "compare": "Evaluate ref-<fusion> models (shipped weights, or --train) and print one table.",
    "robustness": "Run MODEL on TASK clean and under each perturbation at each severity (every "
    "condition is a normal resumable run); print the table, write JSON, Markdown and a curve "
    "plot.",
    "profile": "Throughput, latency percentiles, memory and FLOPs of MODEL across batch sizes.",
    "serve": "Serve MODEL at http://HOST:PORT/v1 (chat/completions, models) and /health.",
    "train": "Train, save safetensors weights + config JSON + training card, evaluate the "
    "checkpoint.",
    "merge": "Combine the shards' prediction stores and score each (task, model) once.",
    "ls": "List tasks, suites, models and perturbations.",
    "data": "Check datasets on disk.",
    "generate": "Build the embedded (mini suite) datasets.",
}


def _short_help(text: str, limit: int) -> str:
    """Click's own truncation of a command's help to ``limit`` characters."""
    try:  # typer >= 0.20 vendors click
        from typer._click.utils import make_default_short_help
    except ImportError:
        from click.utils import make_default_short_help
    return make_default_short_help(text, limit)


def build_command(name: str) -> Any:
    """The click command of subcommand ``name``, built from its module alone.

    >>> build_command("ls").name
    'ls'
    """
    module = importlib.import_module(f"{__name__}.{name}")
    holder = typer.Typer(add_completion=False, rich_markup_mode=None)
    module.register(holder)
    built = typer.main.get_command(holder)
    # a module that adds a sub-app (``score``, ``ls``...) comes back inside a group
    return getattr(built, "commands", {}).get(name, built)


class LazyGroup(TyperGroup):
    """The top-level group: lists :data:`COMMANDS`, imports a command's module on first use."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = build_command(cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [(name, _short_help(text, limit)) for name, text in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="mmbench",
    help="Evaluate and benchmark multimodal models: quality and cost in one record.",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: typer's rich help imports rich + markdown-it (~2/3 of start-up)
    rich_markup_mode=None,
)


@app.callback()
def _group() -> None:
    """Evaluate and benchmark multimodal models: quality and cost in one record."""


def user_errors() -> tuple[type[BaseException], ...]:
    """Exceptions whose message is meant for the user: printed without a traceback."""
    from mmbench.adapters.base import ModelBuildError, ModelError
    from mmbench.cli._errors import CommandError
    from mmbench.registry import UnknownNameError
    from mmbench.tasks import DataFormatError, DataMissingError, TaskError

    errors: list[type[BaseException]] = [
        UnknownNameError,
        TaskError,
        DataMissingError,
        DataFormatError,
        ModelError,
        ModelBuildError,
        CommandError,
    ]
    runner = sys.modules.get("mmbench.runner")
    if runner is not None:
        errors.append(runner.RunAborted)
    distributed = sys.modules.get("mmbench.distributed")
    if distributed is not None:
        errors += [distributed.ShardError, distributed.MergeError]
    perturb = sys.modules.get("mmbench.perturb.definition")
    if perturb is not None:
        errors.append(perturb.PerturbationError)
    hardware = sys.modules.get("mmbench.profiling.hardware")
    if hardware is not None:
        errors.append(hardware.DeviceUnavailable)
    return tuple(errors)


def _click_exceptions() -> tuple[type[BaseException], ...]:
    """click's ClickException, and typer's vendored copy (typer >= 0.20 ships its own click,
    so ``typer.BadParameter`` is not a ``click.ClickException``)."""
    import importlib

    found: list[type[BaseException]] = []
    for module in ("click.exceptions", "typer._click.exceptions"):
        try:
            found.append(importlib.import_module(module).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; user errors exit with status 2 and one message."""
    try:
        # without standalone mode click returns (not raises) a typer.Exit's code
        status = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 130
    except Exception as exc:  # click's usage errors (typer may vendor click) and our user errors
        if isinstance(exc, _click_exceptions()):
            exc.show()
            return exc.exit_code
        if isinstance(exc, user_errors()):
            from rich.console import Console
            from rich.markup import escape

            Console(stderr=True).print(
                f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
            )
            return 2
        raise
    return status if isinstance(status, int) else 0
