"""``mmbench run``: evaluate a model on a task or a suite and print one table."""

from __future__ import annotations

from pathlib import Path

import typer

from mmbench.cli._model_args import MODEL_ARG, model_args


def run(
    model: str = typer.Option(
        ..., "--model", "-m", help="registered name, name:arg, or pkg.mod:factory"
    ),
    model_arg: list[str] = MODEL_ARG,
    task: list[str] = typer.Option(
        None, "--task", "-t", help="task name or task YAML path (repeatable)"
    ),
    suite: str = typer.Option(None, "--suite", "-s", help="a suite name (see `mmbench ls suites`)"),
    out: Path = typer.Option(
        Path("mmbench-out"), "--out", "-o", help="results and predictions folder"
    ),
    data_root: Path = typer.Option(
        None, "--data-root", help="datasets root [default: $MMBENCH_DATA or ~/.cache/mmbench/data]"
    ),
    batch_size: int = typer.Option(None, "--batch-size", "-b", min=1, help="default: the task's"),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="only the first N samples"),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:1, ..."),
    workers: int = typer.Option(None, "--workers", min=0, help="DataLoader workers decoding media"),
    threads: int = typer.Option(
        None, "--threads", min=1, help="torch intra-op threads [default: the thread policy's]"
    ),
    fail_fast: bool = typer.Option(False, "--fail-fast", help="stop at the first sample error"),
    resamples: int = typer.Option(
        1000, "--bootstrap", min=0, help="bootstrap resamples for CIs (0: none)"
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show a progress bar"),
    warmup: int = typer.Option(
        10, "--warmup", min=0, help="batches excluded from timing and peak memory (still scored)"
    ),
    flops: bool = typer.Option(
        True, "--flops/--no-flops", help="count FLOPs of torch models on the first batch"
    ),
    as_json: bool = typer.Option(
        False, "--json", help="print the results records as a JSON list (no table, no progress)"
    ),
    perturb: list[str] = typer.Option(
        None,
        "--perturb",
        "-p",
        help="perturbation, repeatable, applied in order: image:gaussian_noise@3, "
        "audio:white_noise@snr=10, missing:image (see docs/robustness.md)",
    ),
    shard: str = typer.Option(
        None, "--shard", help="i/N: predict shard i of N as an independent job (see mmbench merge)"
    ),
) -> None:
    """Evaluate MODEL on tasks; predictions are stored as they come and a rerun resumes.

    In a multi-task run a task that cannot start (missing data, say) is reported and the
    others go on; the exit status is then 2. ``--fail-fast`` stops at the first error.
    Under ``torchrun`` every rank predicts its shard and rank 0 scores and prints;
    ``--shard i/N`` predicts one shard for ``mmbench merge`` (docs/scaling.md).
    """
    from mmbench.distributed import ranks
    from mmbench.runner import RunConfig, run_task
    from mmbench.tasks import load_suite, load_task

    if not task and not suite:
        raise typer.BadParameter("give --task NAME (repeatable) or --suite NAME")
    if shard is not None:
        from mmbench.distributed import Shard

        Shard.parse(shard)  # a bad value fails before any work
    tasks = [load_task(t) for t in task or []] + (load_suite(suite) if suite else [])
    cfg = RunConfig(
        model_args=model_args(model_arg, [model]),
        out_dir=out,
        data_root=data_root,
        batch_size=batch_size,
        limit=limit,
        device=device,
        workers=workers,
        threads=threads,
        fail_fast=fail_fast,
        progress=progress and not as_json,
        n_resamples=resamples,
        warmup=warmup,
        flops=flops,
        perturb=tuple(perturb or ()),
        shard=shard,
    )
    if perturb:
        from mmbench.perturb import Pipeline

        Pipeline.parse(perturb)  # a bad spec stops here, before any model is built

    from rich.markup import escape

    from mmbench.cli import user_errors
    from mmbench.cli._table import console

    results, failed = [], []
    for t in tasks:
        try:
            results.append(run_task(model, t, cfg))
        except user_errors() as exc:
            if len(tasks) == 1 or fail_fast or ranks(device).distributed:
                raise  # under torchrun: stop every rank (torchrun ends the others)
            failed.append(t.name)  # one task's missing data must not sink the whole suite
            console(stderr=as_json).print(
                f"[bold red]error:[/] task {t.name}: {escape(str(exc))}",
                highlight=False,
                soft_wrap=True,
            )
    if ranks(device).is_main:  # under torchrun only rank 0 prints
        _report(results, as_json, shard, out)
    if failed:
        console(stderr=as_json).print(
            f"[bold red]{len(failed)} task(s) failed:[/] {', '.join(failed)}"
        )
        raise typer.Exit(2)


def _report(results: list, as_json: bool, shard: str | None, out: Path) -> None:
    """Print the results records: a table, JSON, or for a ``--shard`` job what it did."""
    from mmbench.cli._table import console, print_results

    if as_json:
        import json

        typer.echo(json.dumps([r.record for r in results], indent=2, ensure_ascii=False))
    elif shard is not None:
        for r in results:
            console().print(
                f"shard {shard} of {r.record['task']['name']}: {r.record['shard']['samples']} "
                f"samples ({r.record['shard']['predicted']} predicted now); when every shard "
                f"is done: mmbench merge {out}",
                highlight=False,
                soft_wrap=True,
            )
    else:
        print_results([r.record for r in results], [r.path for r in results])


def register(app: typer.Typer) -> None:
    app.command("run")(run)
