"""Score official COCO caption results files: BLEU-1..4, ROUGE-L, CIDEr-D, METEOR (with CIs).

Reads the COCO captions annotation JSON (``captions_val2017.json``) and the official
results format ``[{"image_id": int, "caption": str}, ...]`` and returns pycocoevalcap's
keys, each with a 95% bootstrap CI and the scorer signature. The images scored are those
of the annotations; a results file must cover exactly them, one caption each.

>>> import json, tempfile, pathlib
>>> from mmbench.datasets._synthetic_captions import coco_caption_files
>>> ann, res = coco_caption_files(20, seed=3)
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.json").write_text(json.dumps(ann)); _ = (d / "r.json").write_text(json.dumps(res))
>>> out = evaluate_coco_captions(d / "a.json", d / "r.json", n_resamples=50)
>>> sorted(out)
['Bleu_1', 'Bleu_2', 'Bleu_3', 'Bleu_4', 'CIDEr', 'ROUGE_L']
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mmbench.metrics._captions import tokenize_captions
from mmbench.metrics.base import MetricResult, get_metric
from mmbench.metrics.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, confidence_intervals_many

try:  # optional: typed decoding of the two files, ~3-5x faster than ``json``
    import msgspec
except ImportError:  # pragma: no cover - exercised by monkeypatching in tests
    msgspec = None

if msgspec is not None:

    class _Caption(msgspec.Struct, gc=False):
        image_id: Any
        caption: str

    class _Image(msgspec.Struct, gc=False):
        id: Any

    class _CaptionsFile(msgspec.Struct, gc=False):
        annotations: list[_Caption]
        images: list[_Image] = []


DEFAULT_METRICS = ("bleu", "rouge_l", "cider")


class CaptionFileError(ValueError):
    """A captions file that cannot be scored; the message names the file and the problem."""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while hundreds of thousands of acyclic containers are made
    (its repeated scans cost ~5% of scoring); restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CaptionFileError(f"{path}: no such file") from None


def _load_json(path: Path, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise CaptionFileError(f"{path}: not valid UTF-8 ({exc})") from None
    except json.JSONDecodeError as exc:
        raise CaptionFileError(f"{path}: not valid JSON ({exc})") from None


def _typed_pairs(data: bytes, annotations: bool) -> tuple[list[tuple[Any, str]], list[Any]] | None:
    """(``(image_id, caption)`` pairs, the ``images`` list's ids) by msgspec, or None (not
    installed, or the file does not fit the expected shape: the ``json`` path then names the
    problem)."""
    if msgspec is None:
        return None
    try:
        if annotations:
            file = msgspec.json.decode(data, type=_CaptionsFile)
            items, order = file.annotations, [image.id for image in file.images]
        else:
            items, order = msgspec.json.decode(data, type=list[_Caption]), []
    except msgspec.DecodeError:  # ValidationError included
        return None
    return [(a.image_id, a.caption) for a in items], order


def _images_order(images: Any) -> list[Any]:
    """Ids of an annotation file's ``images`` list (``[]`` when absent or malformed)."""
    if not isinstance(images, list):
        return []
    return [img["id"] for img in images if isinstance(img, dict) and "id" in img]


def _id_caption_pairs(items: list[Any], where: str, kind: str) -> list[tuple[Any, str]]:
    """``(image_id, caption)`` of each entry; names the first malformed entry."""
    try:
        pairs = [(a["image_id"], a["caption"]) for a in items]
        if all(type(c) is str for _, c in pairs):
            return pairs
    except (TypeError, KeyError, IndexError):
        pass
    for i, a in enumerate(items):
        if not isinstance(a, dict) or "image_id" not in a or not isinstance(a.get("caption"), str):
            raise CaptionFileError(f"{where} {i} lacks image_id/caption{kind}")
    return [(a["image_id"], a["caption"]) for a in items]  # (str subclasses)


def load_coco_captions(
    annotations_path: str | Path, results_path: str | Path
) -> tuple[list[int], list[str], list[list[str]]]:
    """(image ids, one predicted caption per image, reference captions per image).

    Images come in the order of the annotation file's ``images`` list, as pycocoevalcap
    scores them (its PTB tokenizer reads each caption with the next line as context, so
    the order can decide a token); images missing from that list follow in the order of
    their first annotation.
    """
    data = _read(Path(annotations_path))
    typed = _typed_pairs(data, annotations=True)
    if typed is None:
        ann = _load_json(Path(annotations_path), data)
        if not isinstance(ann, dict) or not isinstance(ann.get("annotations"), list):
            raise CaptionFileError(f"{annotations_path}: expected a COCO captions JSON object")
        pairs = _id_caption_pairs(ann["annotations"], f"{annotations_path}: annotation", "")
        order = _images_order(ann.get("images"))
    else:
        pairs, order = typed
    del data
    refs: dict[int, list[str]] = {}
    for image_id, caption in pairs:
        refs.setdefault(image_id, []).append(caption)
    if order:
        listed = [i for i in dict.fromkeys(order) if i in refs]
        refs = {i: refs[i] for i in listed} | refs  # unlisted images keep their places after
    data = _read(Path(results_path))
    typed = _typed_pairs(data, annotations=False)
    pairs = typed[0] if typed is not None else None
    if pairs is None:
        res = _load_json(Path(results_path), data)
        if not isinstance(res, list):
            raise CaptionFileError(f'{results_path}: expected a list of {{"image_id", "caption"}}')
        pairs = _id_caption_pairs(res, f"{results_path}: entry", " (string)")
    preds = dict(pairs)
    if len(preds) != len(pairs):
        seen: set[int] = set()
        twice = next(i for i, _ in pairs if i in seen or seen.add(i))
        raise CaptionFileError(f"{results_path}: image_id {twice} has more than one caption")
    missing = sorted(set(refs) - set(preds), key=str)
    extra = sorted(set(preds) - set(refs), key=str)
    if missing or extra:
        raise CaptionFileError(
            f"{results_path}: image ids differ from {annotations_path}: {len(missing)} missing "
            f"(e.g. {missing[:3]}), {len(extra)} extra (e.g. {extra[:3]}); "
            "give exactly one caption per annotated image"
        )
    ids = list(refs)
    return ids, [preds[i] for i in ids], [refs[i] for i in ids]


def evaluate_coco_captions(
    annotations_path: str | Path,
    results_path: str | Path,
    metrics: Sequence[str] = DEFAULT_METRICS,
    n_resamples: int = DEFAULT_RESAMPLES,
    tokenizer: str = "ptb",
    seed: int = DEFAULT_SEED,
) -> dict[str, MetricResult]:
    """Scores keyed as pycocoevalcap names them, each with a 95% CI and a signature.

    ``metrics`` are registry names (``bleu``, ``rouge_l``, ``cider``, ``meteor``);
    ``n_resamples=0`` skips the CIs.
    """
    with _gc_paused(), ThreadPoolExecutor(2, thread_name_prefix="caption-metrics") as pool:
        _, preds, refs = load_coco_captions(annotations_path, results_path)
        caps = tokenize_captions(preds, refs, tokenizer)
        # per-sample statistics side by side (BLEU's n-gram counts beside ROUGE-L's LCS)
        pending = []
        for name in metrics:
            metric = get_metric(name, tokenizer=tokenizer)
            if hasattr(metric, "stats_tokenized"):
                pending.append((metric, pool.submit(metric.stats_tokenized, caps)))
            else:
                pending.append((metric, pool.submit(metric.stats, preds, refs)))
        jobs = [(metric, stats.result()) for metric, stats in pending]
        scores = [metric.score(stats) for metric, stats in jobs]
        # one draw of resample indices for all metrics (same resamples as one at a time)
        intervals = confidence_intervals_many(jobs, n_resamples, seed) if n_resamples else None
        out: dict[str, MetricResult] = {}
        for j, (metric, _) in enumerate(jobs):
            sig = metric.signature()
            for key, value in scores[j].items():
                ci = intervals[j].get(key) if intervals else None
                out[key] = MetricResult(key, value, sig, ci)
        return out
