"""``mmbench merge``: score the shards that ``mmbench run --shard i/N`` jobs predicted."""

from __future__ import annotations

from pathlib import Path

import typer


def merge(
    out: Path = typer.Argument(..., help="the --out folder the shard jobs wrote to"),
    data_root: Path = typer.Option(
        None, "--data-root", help="datasets root [default: the one the shards used]"
    ),
    resamples: int = typer.Option(
        1000, "--bootstrap", min=0, help="bootstrap resamples for CIs (0: none)"
    ),
) -> None:
    """Combine the shards' prediction stores and score each (task, model) once.

    Refuses (naming them) shards with different model fingerprints, task versions or shard
    counts, missing shards, and samples without a prediction.
    """
    from mmbench.cli._table import print_results
    from mmbench.distributed import merge as merge_shards

    results = merge_shards(out, data_root, resamples)
    print_results([r.record for r in results], [r.path for r in results])


def register(app: typer.Typer) -> None:
    app.command("merge")(merge)
