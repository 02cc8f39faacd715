"""The ``mmbench`` command. Each subcommand lives in its own module with ``register(app)``.

Modules here parse and print only; heavy imports happen inside the commands, so
``mmbench score`` and ``mmbench ls`` start without importing torch.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

app = typer.Typer(
    name="mmbench",
    help="Evaluate and benchmark multimodal models: quality and cost in one record.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # plain click help: typer's rich help imports rich + markdown-it (~2/3 of start-up)
    rich_markup_mode=None,
)


def _register_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}").register(app)


_register_all()


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
