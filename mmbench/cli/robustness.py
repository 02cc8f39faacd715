"""``mmbench robustness``: a model clean and under perturbations at every severity."""

from __future__ import annotations

from pathlib import Path

import typer


def robustness(
    model: str = typer.Option(..., "--model", "-m", help="the model (as in mmbench run)"),
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
    resamples: int = typer.Option(1000, "--bootstrap", min=0, help="bootstrap resamples for CIs"),
) -> None:
    """Run MODEL on TASK clean and under each perturbation at each severity (every condition
    is a normal resumable run); print the table, write JSON, Markdown and a curve plot."""
    from rich.markdown import Markdown

    from mmbench.cli._table import console as make_console
    from mmbench.experiments.robustness import markdown, parse_severities
    from mmbench.experiments.robustness import robustness as sweep
    from mmbench.runner import RunConfig
    from mmbench.tasks import load_task

    levels = parse_severities(severities)
    cfg = RunConfig(
        out_dir=out,
        data_root=data_root,
        batch_size=batch_size,
        limit=limit,
        device=device,
        workers=workers,
        progress=False,
        n_resamples=resamples,
        flops=False,
    )
    console = make_console()

    def log(message: str) -> None:
        console.print(f"[dim]{message}[/]", highlight=False)

    report, paths = sweep(model, load_task(task), perturb, levels, cfg, baseline, log)
    console.print(Markdown(markdown(report)))
    console.print(f"written: {paths['md']}, {paths['json']}, {paths['png']}")


def register(app: typer.Typer) -> None:
    app.command("robustness")(robustness)
