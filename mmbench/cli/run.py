"""``mmbench run``: evaluate a model on a task or a suite and print one table."""

from __future__ import annotations

from pathlib import Path

import typer


def run(
    model: str = typer.Option(
        ..., "--model", "-m", help="registered name, name:arg, or pkg.mod:factory"
    ),
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
) -> None:
    """Evaluate MODEL on tasks; predictions are stored as they come and a rerun resumes.

    In a multi-task run a task that cannot start (missing data, say) is reported and the
    others go on; the exit status is then 2. ``--fail-fast`` stops at the first error.
    """
    from mmbench.cli._table import print_results
    from mmbench.runner import RunConfig, run_task
    from mmbench.tasks import load_suite, load_task

    if not task and not suite:
        raise typer.BadParameter("give --task NAME (repeatable) or --suite NAME")
    tasks = [load_task(t) for t in task or []] + (load_suite(suite) if suite else [])
    cfg = RunConfig(
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
            if len(tasks) == 1 or fail_fast:
                raise
            failed.append(t.name)  # one task's missing data must not sink the whole suite
            console(stderr=as_json).print(
                f"[bold red]error:[/] task {t.name}: {escape(str(exc))}",
                highlight=False,
                soft_wrap=True,
            )
    if as_json:
        import json

        typer.echo(json.dumps([r.record for r in results], indent=2, ensure_ascii=False))
    else:
        print_results([r.record for r in results], [r.path for r in results])
    if failed:
        console(stderr=as_json).print(
            f"[bold red]{len(failed)} task(s) failed:[/] {', '.join(failed)}"
        )
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("run")(run)
