"""``mmbench score caption|vqa|asr``: score official-format prediction files, no model run.

Each kind lives in its own module ``_score_<kind>.py`` with ``register(score_app)``; nothing
here imports torch.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

score_app = typer.Typer(
    help="Score prediction files in the official formats.",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help, without importing rich (fast start)
)


def register(app: typer.Typer) -> None:
    from mmbench import cli

    for info in pkgutil.iter_modules(cli.__path__):
        if info.name.startswith("_score_"):
            importlib.import_module(f"mmbench.cli.{info.name}").register(score_app)
    app.add_typer(score_app, name="score")
