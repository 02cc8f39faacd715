"""Parity on real COCO human captions: mmbench's caption scores against pycocoevalcap's own
pipeline (pycocotools + the Java PTBTokenizer + its BLEU/ROUGE-L/CIDEr-D scorers).

The project ships no COCO captions; give an official annotation file (for example
``captions_val2017.json`` from http://images.cocodataset.org/annotations/annotations_trainval2017.zip).
Two prediction sets are scored on both sides:

- ``leave-one-out k``: each image's k-th human caption (k = 1..``--rotations``) is the
  prediction and its other captions the references, so every human caption is tokenized on
  both sides, as a prediction and as a reference;
- ``--results FILE``: a COCO results file (the annotations are cut to its images, as
  pycocoevalcap scores only those).

    PYTHONPATH=$PWD python benchmarks/parity_coco_real.py --annotations captions_val2017.json \
        [--results captions_val2017_fakecap_results.json] [--write]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from mmbench.metrics.coco_caption import evaluate_coco_captions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import append_results  # noqa: E402
from bench_caption import run_pycocoevalcap  # noqa: E402


def leave_one_out(ann: dict, k: int) -> tuple[dict, list[dict]]:
    """(annotations without each image's k-th caption (0-based, modulo its count), those
    captions as results)."""
    by_image: dict[int, list[dict]] = {}
    for a in ann["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    held = {i: caps[k % len(caps)]["id"] for i, caps in by_image.items() if len(caps) > 1}
    rest = [a for a in ann["annotations"] if held.get(a["image_id"]) != a["id"]]
    captions = {a["id"]: a["caption"] for a in ann["annotations"]}
    images = [img for img in ann["images"] if img["id"] in held]
    results = [{"image_id": i, "caption": captions[a]} for i, a in held.items()]
    return {**ann, "images": images, "annotations": rest}, results


def restricted(ann: dict, results: list[dict]) -> dict:
    """The annotation file cut to the images of ``results``."""
    ids = {r["image_id"] for r in results}
    return {
        **ann,
        "images": [img for img in ann["images"] if img["id"] in ids],
        "annotations": [a for a in ann["annotations"] if a["image_id"] in ids],
    }


def compare(ann: dict, results: list[dict], tmp: Path, name: str) -> dict[str, float]:
    """``{metric: |mmbench - pycocoevalcap|}`` plus both values, for one prediction set."""
    ann_path, res_path = tmp / f"{name}.ann.json", tmp / f"{name}.res.json"
    ann_path.write_text(json.dumps(ann))
    res_path.write_text(json.dumps(results))
    theirs = run_pycocoevalcap(ann_path, res_path)
    ours = evaluate_coco_captions(ann_path, res_path, n_resamples=0)
    return {k: (ours[k].value, v, abs(ours[k].value - v)) for k, v in theirs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--annotations", type=Path, required=True)
    ap.add_argument("--results", type=Path, help="a COCO results file to score as well")
    ap.add_argument("--rotations", type=int, default=5, help="leave-one-out prediction sets")
    ap.add_argument("--write", action="store_true", help="append to benchmarks/RESULTS.md")
    args = ap.parse_args()
    ann = json.loads(args.annotations.read_text())
    sets = {f"leave-one-out {k + 1}": leave_one_out(ann, k) for k in range(args.rotations)}
    if args.results:
        results = json.loads(args.results.read_text())
        sets[args.results.name] = (restricted(ann, results), results)
    lines = [
        f"Annotations: `{args.annotations.name}` ({len(ann['images']):,} images, "
        f"{len(ann['annotations']):,} human captions).",
        "",
        "| prediction set | images | metric | mmbench | pycocoevalcap | abs. difference |",
        "|---|---:|---|---:|---:|---:|",
    ]
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (a, r) in sets.items():
            for metric, (ours, theirs, diff) in compare(a, r, Path(tmp), name).items():
                worst = max(worst, diff)
                lines.append(f"| {name} | {len(r):,} | {metric} | {ours:.12f} | {theirs:.12f} "
                             f"| {diff:.1e} |")  # fmt: skip
    lines += ["", f"Largest difference: {worst:.1e}."]
    body = "\n".join(lines)
    print(body)
    if args.write:
        append_results("Caption parity on real COCO human captions", body)


if __name__ == "__main__":
    main()
