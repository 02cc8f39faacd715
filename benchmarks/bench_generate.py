"""Time and size of the embedded mini-suite generators at their default sizes.

Run: ``PYTHONPATH=. python benchmarks/bench_generate.py [--jobs N]`` (needs espeak-ng for the
synthesized splits). Each step runs into a fresh temporary data root; prints one Markdown row
per step: wall seconds, files written, bytes on disk (apparent size).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from mmbench.datasets import shapes, spoken, spoken_vqa


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mmbench-gen-"))
    steps = [
        (
            "shapes_caption train 4000 + val 500 + test 500",
            lambda: shapes.build(root),
            root / shapes.FOLDER,
        ),
        (
            "spoken_shapes test (copy of shipped 100)",
            lambda: spoken.install_test(root),
            root / spoken.FOLDER / "test",
        ),
        (
            "spoken_shapes dev 300 (espeak-ng)",
            lambda: spoken.build_split(root, "dev", jobs=args.jobs),
            root / spoken.FOLDER / "dev",
        ),
        (
            "spoken_shapes train 2000 (espeak-ng)",
            lambda: spoken.build_split(root, "train", jobs=args.jobs),
            root / spoken.FOLDER / "train",
        ),
        (
            "spoken_vqa test (copy of shipped 500 + images)",
            lambda: spoken_vqa.install_test(root),
            root / spoken_vqa.FOLDER / "test",
        ),
        (
            "spoken_vqa train 5000 (espeak-ng)",
            lambda: spoken_vqa.build_split(root, "train", jobs=args.jobs),
            root / spoken_vqa.FOLDER / "train",
        ),
        (
            "second call of every generator (all present)",
            lambda: [g(root) for g in (shapes.generate, spoken.generate, spoken_vqa.generate)],
            root,
        ),
    ]
    print("| step | wall s | files | MB |\n|---|---|---|---|")
    try:
        for name, run, folder in steps:
            start = time.perf_counter()
            run()
            wall = time.perf_counter() - start
            n, size = _size(folder)
            print(f"| {name} | {wall:.1f} | {n} | {size / 1e6:.1f} |", flush=True)
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
