"""The ``--model-arg KEY=VALUE`` option shared by ``run``, ``profile`` and ``compare``."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import typer

MODEL_ARG = typer.Option(
    None,
    "--model-arg",
    "-a",
    help="KEY=VALUE option for the model (repeatable; keys: `mmbench ls models`)",
)


def model_args(items: Sequence[str] | None, specs: Iterable[str]) -> dict[str, str]:
    """Parse ``--model-arg`` items and check them against every model spec, once, before any
    task starts (a bad option is one message, not one per task)."""
    from mmbench.adapters.base import check_model_args, parse_model_args

    args = parse_model_args(items or [])
    for spec in specs:
        check_model_args(spec, args)
    return args
