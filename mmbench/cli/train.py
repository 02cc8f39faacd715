"""``mmbench train``: train a reference fusion model (or ``seed``) on a task's training split."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import typer


def train(
    fusion: str = typer.Option(
        ..., "--fusion", "-f", help="a fusion method, 'seed', 'all', or pkg.module:Class"
    ),
    task: str = typer.Option(..., "--task", "-t", help="task name (its reader gives split=train)"),
    steps: int = typer.Option(
        None, "--steps", min=1, help="optimizer steps (default 2000; --fit-stand-ins: 300)"
    ),
    seed: int = typer.Option(0, "--seed", help="random seed (init, data order, validation split)"),
    width: int = typer.Option(64, "--width", min=4, help="model width"),
    batch_media: int = typer.Option(32, "--batch-media", min=1, help="images/recordings per step"),
    lr: float = typer.Option(3e-3, "--lr", help="peak learning rate (warm-up, cosine decay)"),
    limit: int = typer.Option(None, "--limit", min=1, help="train on the first N samples only"),
    ctc_weight: float = typer.Option(
        0.5, "--ctc-weight", min=0.0, max=1.0, help="ASR tasks: share of the auxiliary CTC loss"
    ),
    threads: int = typer.Option(
        1, "--threads", min=1, help="torch CPU threads (fixed: reproducible)"
    ),
    out: Path = typer.Option("mmbench-out/weights", "--out", "-o", help="output folder"),  # noqa: B008
    data_root: Path = typer.Option(None, "--data-root", help="datasets root"),  # noqa: B008
    test: bool = typer.Option(True, "--test/--no-test", help="evaluate on the task's test split"),
    modality_dropout: float = typer.Option(
        0.0,
        "--modality-dropout",
        min=0.0,
        max=1.0,
        help="VQA: replace each image / question by its missing-input stand-in with this "
        "probability (see docs/robustness.md)",
    ),
    fit_stand_ins: bool = typer.Option(
        False,
        "--fit-stand-ins",
        help="VQA: train nothing; fit learned missing-image / missing-question stand-ins to the "
        "frozen shipped weights (or --checkpoint) and write <task>-<fusion>.stand-in.safetensors "
        "to --out (see docs/robustness.md)",
    ),
    checkpoint: Path = typer.Option(  # noqa: B008
        None, "--checkpoint", help="--fit-stand-ins: fit to this checkpoint, not the shipped one"
    ),
) -> None:
    """Train, save safetensors weights + config JSON + training card, evaluate the checkpoint."""
    from rich.console import Console

    from mmbench.cli._fusions import ALL, fusion_variants
    from mmbench.experiments.train import TrainConfig, train_task

    console = Console()
    variants = fusion_variants([fusion])
    if fit_stand_ins:

        def log(line: str) -> None:
            console.print(line, highlight=False, soft_wrap=True)

        _fit_stand_ins(variants, task, out, checkpoint, data_root, steps, seed, threads, limit, log)
        return
    steps = steps or 2000
    if fusion == ALL and not _written_vqa(task, data_root):
        variants.remove("seed")  # the seed model answers written questions only
    for v in variants:
        cfg = TrainConfig(
            task=task, fusion=v, steps=steps, seed=seed, width=width, batch_media=batch_media,
            lr=lr, limit=limit, threads=threads, ctc_weight=ctc_weight,
            modality_dropout=modality_dropout,
        )  # fmt: skip
        argv = (
            ["mmbench", "train", *sys.argv[sys.argv.index("train") + 1 :]]
            if "train" in sys.argv
            else []
        )
        command = shlex.join(argv).replace(f"--fusion {fusion}", f"--fusion {v}")
        res = train_task(cfg, out, data_root, test, command, log=console.log)
        card = res.card
        console.print(
            f"[bold]{card['model']}[/] on {task}: {card['parameters']:,} parameters, "
            f"{card['wall_time_s']['train']:.1f} s; validation {card['validation']}; "
            f"test {card.get('test', '-')}; weights {res.weights}",
            highlight=False,
        )


def _fit_stand_ins(
    variants: list[str],
    task: str,
    out: Path,
    checkpoint: Path | None,
    data_root: Path | None,
    steps: int | None,
    seed: int,
    threads: int,
    limit: int | None,
    log: Callable[[str], None],
) -> None:
    from mmbench.experiments.stand_ins import StandInFit, fit_task

    variants = [v for v in variants if v != "seed"]  # the seed model has no stand-ins
    if checkpoint is not None and len(variants) != 1:
        raise typer.BadParameter("--checkpoint fits one model: name its --fusion")
    fit = StandInFit(steps=steps or StandInFit.steps, seed=seed)
    for v in variants:
        fit_task(task, v, out, checkpoint, data_root, fit, threads, log, limit)


def _written_vqa(task: str, data_root: Path | None) -> bool:
    from mmbench.tasks import load_task
    from mmbench.types import TaskKind

    spec = load_task(task)
    first = next(iter(spec.samples(data_root, split="train")), None)
    return spec.kind is TaskKind.VQA and first is not None and first.text is not None


def register(app: typer.Typer) -> None:
    app.command("train")(train)
