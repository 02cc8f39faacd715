"""``mmbench compare``: every fusion method on a task or suite, one table."""

from __future__ import annotations

from pathlib import Path

import typer

from mmbench.cli._model_args import MODEL_ARG, model_args


def compare(
    fusion: list[str] = typer.Option(  # noqa: B008
        ["all"], "--fusion", "-f", help="fusion method(s), 'seed', 'all', or pkg.module:Class"
    ),
    model_arg: list[str] = MODEL_ARG,
    task: list[str] = typer.Option(None, "--task", "-t", help="task name (repeatable)"),  # noqa: B008
    suite: str = typer.Option(None, "--suite", "-s", help="a suite name"),
    out: Path = typer.Option("mmbench-out/compare", "--out", "-o", help="output folder"),  # noqa: B008
    data_root: Path = typer.Option(None, "--data-root", help="datasets root"),  # noqa: B008
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="only the first N samples"),
    train: bool = typer.Option(False, "--train", help="train every method first (equal budget)"),
    steps: int = typer.Option(2000, "--steps", min=1, help="with --train: optimizer steps"),
    seed: int = typer.Option(0, "--seed", help="with --train: random seed"),
    width: int = typer.Option(64, "--width", min=4, help="with --train: model width"),
    threads: int = typer.Option(
        None, "--threads", min=1, help="torch intra-op threads [default: the thread policy's]"
    ),
    warmup: int = typer.Option(
        None, "--warmup", min=0, help="batches excluded from samples/s (default: as mmbench run)"
    ),
    perturb: list[str] = typer.Option(  # noqa: B008
        None, "--perturb", "-p", help="evaluate every method under this perturbation (repeatable)"
    ),
) -> None:
    """Evaluate ref-<fusion> models (shipped weights, or --train) and print one table."""
    from mmbench.cli._fusions import fusion_variants
    from mmbench.cli._table import TextTable, show
    from mmbench.cli._table import console as make_console
    from mmbench.experiments.compare import COLUMNS, NUMERIC, cells
    from mmbench.experiments.compare import compare as run_compare
    from mmbench.tasks import load_suite, load_task

    if not task and not suite:
        raise typer.BadParameter("give --task NAME (repeatable) or --suite NAME")
    variants = fusion_variants(fusion)
    options = model_args(model_arg, [_spec(v) for v in variants])
    tasks = [load_task(t) for t in task or []] + (load_suite(suite) if suite else [])
    console = make_console(log_path=False)
    train_cfg = {"steps": steps, "seed": seed, "width": width} if train else None
    timing = {} if warmup is None else {"warmup": warmup}  # None: the profiler's default
    if threads is not None:
        timing["threads"] = threads
    if perturb:
        from mmbench.perturb import Pipeline

        Pipeline.parse(perturb)  # a bad spec stops here
    rows = run_compare(
        variants,
        tasks,
        out,
        data_root,
        limit,
        train_cfg,
        log=console.log,
        perturb=tuple(perturb or ()),
        model_args=options,
        **timing,
    )
    if not rows:
        from mmbench.cli._errors import CommandError

        raise CommandError("nothing to compare: every model-task pair was skipped (see above)")
    show(TextTable(COLUMNS, [cells(r) for r in rows], right=NUMERIC), console)
    console.print(f"tables: {out / 'compare.md'}, {out / 'compare.csv'}, {out / 'compare.json'}")


def _spec(variant: str) -> str:
    """The model spec a fusion variant runs as (your own pkg.mod:Class runs through ``ref``)."""
    from mmbench.adapters.reference import FUSION_NAMES, model_name

    return model_name(variant) if variant == "seed" or variant in FUSION_NAMES else "ref"


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
