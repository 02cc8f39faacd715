"""``mmbench robustness``: a model clean and under perturbations at every severity."""

from __future__ import annotations

from pathlib import Path

import typer

from mmbench.cli._model_args import MODEL_ARG, model_args


def robustness(
    model: str = typer.Option(..., "--model", "-m", help="the model (as in mmbench run)"),
    model_arg: list[str] = MODEL_ARG,
    task: str = typer.Option(..., "--task", "-t", help="task name or task YAML path"),
    perturb: list[str] = typer.Option(
        ...,
        "--perturb",
        "-p",
        help="perturbation or family, repeatable: image:gaussian_noise, image:all, audio:all, "
        "missing:image; a spec with @... runs as given",
    ),
    severities: str = typer.Option("1-5", "--severities", help="1-5, 1,3,5 or 2"),
    baseline: str = typer.Option(
        None, "--baseline", help="baseline model for effective robustness and mCE (= 100%)"
    ),
    out: Path = typer.Option(Path("mmbench-out"), "--out", "-o", help="output folder"),
    data_root: Path = typer.Option(None, "--data-root", help="datasets root"),
    batch_size: int = typer.Option(None, "--batch-size", "-b", min=1, help="default: the task's"),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="only the first N samples"),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda, cuda:1, ..."),
    workers: int = typer.Option(None, "--workers", min=0, help="DataLoader workers"),
    threads: int = typer.Option(
        None, "--threads", min=1, help="torch intra-op threads [default: the thread policy's]"
    ),
    resamples: int = typer.Option(1000, "--bootstrap", min=0, help="bootstrap resamples for CIs"),
) -> None:
    """Run MODEL on TASK clean and under each perturbation at each severity (every condition
    is a normal resumable run); print the table, write JSON, Markdown and a curve plot.
    ``--model-arg`` options reach MODEL, not the baseline."""
    from mmbench.cli._table import TextTable, show
    from mmbench.cli._table import console as make_console
    from mmbench.experiments.robustness import mce_line, parse_severities, tables
    from mmbench.experiments.robustness import robustness as sweep
    from mmbench.runner import RunConfig
    from mmbench.tasks import load_task

    levels = parse_severities(severities)
    cfg = RunConfig(
        model_args=model_args(model_arg, [model]),
        out_dir=out,
        data_root=data_root,
        batch_size=batch_size,
        limit=limit,
        device=device,
        workers=workers,
        threads=threads,
        progress=False,
        n_resamples=resamples,
        flops=False,
    )
    console = make_console()

    def log(message: str) -> None:
        console.print(f"[dim]{message}[/]", highlight=False)

    report, paths = sweep(model, load_task(task), perturb, levels, cfg, baseline, log)
    for i, t in enumerate(tables(report)):
        if i:
            console.print()
        show(TextTable(t.columns, t.rows, right=t.right), console)
    if mce_line(report):
        console.print(mce_line(report), highlight=False, markup=False)
    console.print(f"written: {paths['md']}, {paths['json']}, {paths['png']}")


def register(app: typer.Typer) -> None:
    app.command("robustness")(robustness)
