"""``mmbench generate shapes-caption|spoken-shapes|spoken-vqa``: build embedded datasets.

Runs deterministic generators into the data root (what the mini-suite tasks do on first
use), and builds larger or extra splits. Speech needs espeak-ng (Debian: ``espeak-ng``); when
it is missing the command stops with one message naming the package (exit status 2).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

generate_app = typer.Typer(help="Build the embedded (mini suite) datasets.", no_args_is_help=True)

DataRoot = Annotated[
    Path | None,
    typer.Option("--data-root", help="Default: $MMBENCH_DATA or ~/.cache/mmbench/data."),
]
Jobs = Annotated[
    int | None, typer.Option("--jobs", help="Parallel espeak-ng processes (default: CPUs).")
]
Ship = Annotated[
    bool,
    typer.Option(
        "--ship", help="Maintainers: re-synthesize the test split shipped in the package."
    ),
]


def _root(data_root: Path | None) -> Path:
    from mmbench.tasks import default_data_root

    return data_root if data_root is not None else default_data_root()


def _done(what: str, where: Path, built: bool, start: float) -> None:
    from rich.console import Console

    verb = "built" if built else "already up to date:"
    Console().print(f"{what} {verb} {where} ({time.perf_counter() - start:.1f} s)", highlight=False)


@generate_app.command("shapes-caption")
def shapes_caption(
    split: Annotated[
        str | None, typer.Option("--split", help="Build one extra split (e.g. train-20k) instead.")
    ] = None,
    n: Annotated[int, typer.Option("--n", help="Images of the extra split.")] = 1000,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Default: fixed per split name.")
    ] = None,
    data_root: DataRoot = None,
) -> None:
    """Rendered shape scenes with 5 captions each, COCO captions layout.

    Without ``--split``: the task's train/val/test splits. With it: an extra split under
    ``mini/shapes_caption_extra/<split>/`` (the task's data is never replaced).
    """
    from mmbench.datasets import shapes

    start = time.perf_counter()
    root = _root(data_root)
    if split is None:
        built, folder = shapes.build(root), root / shapes.FOLDER
    else:
        folder = root / shapes.EXTRA_FOLDER / split
        built = shapes.build(
            root, {split: (n, seed if seed is not None else shapes.default_seed(split))}, folder
        )
    _done("shapes_caption", folder, built, start)


def _build_spoken(
    module: Any,
    label: str,
    split: str,
    n: int | None,
    seed: int | None,
    data_root: Path | None,
    jobs: int | None,
    ship: bool,
) -> None:
    """The shared body of the spoken generators (``ship_test``/``install_test``/``build_split``)."""
    start = time.perf_counter()
    root = _root(data_root)
    if ship:
        manifest = module.ship_test(jobs)
        from rich.console import Console

        Console().print(f"shipped test split rewritten: {manifest}", highlight=False)
        return
    if split == "test":
        built = module.install_test(root)
    else:
        built = module.build_split(root, split, n, seed, jobs=jobs)
    _done(f"{label} {split}", root / module.FOLDER / split, built, start)


@generate_app.command("spoken-shapes")
def spoken_shapes(
    split: Annotated[
        str, typer.Option("--split", help="train, dev, or any new name (test-2k...).")
    ] = "train",
    n: Annotated[
        int | None, typer.Option("--n", help="Utterances (default: train 2000, dev 300).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Default: fixed per split name.")
    ] = None,
    data_root: DataRoot = None,
    jobs: Jobs = None,
    ship: Ship = False,
) -> None:
    """Spoken scene descriptions (espeak-ng) in the LibriSpeech layout."""
    from mmbench.datasets import spoken

    _build_spoken(spoken, "spoken_shapes", split, n, seed, data_root, jobs, ship)


@generate_app.command("spoken-vqa")
def spoken_vqa(
    split: Annotated[
        str,
        typer.Option(
            "--split", help="train, test (the shipped one), or a new name (test-*: test questions)."
        ),
    ] = "train",
    n: Annotated[int | None, typer.Option("--n", help="Questions (default: train 5000).")] = None,
    seed: Annotated[int | None, typer.Option("--seed")] = None,
    data_root: DataRoot = None,
    jobs: Jobs = None,
    ship: Ship = False,
) -> None:
    """easy-VQA questions spoken by espeak-ng, paired with their images."""
    from mmbench.datasets import spoken_vqa

    _build_spoken(spoken_vqa, "spoken_vqa", split, n, seed, data_root, jobs, ship)


def register(app: typer.Typer) -> None:
    app.add_typer(generate_app, name="generate")
