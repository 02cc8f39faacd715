"""BLEU-1..4, CIDEr-D and ROUGE-L equal pycocoevalcap's scorers on the same tokens."""

from __future__ import annotations

import pytest

from mmbench.datasets._synthetic_captions import coco_caption_files
from mmbench.metrics.base import get_metric
from mmbench.normalize.ptb import _following, ptb

pytest.importorskip("pycocoevalcap")
from pycocoevalcap.bleu.bleu import Bleu as CocoBleu  # noqa: E402
from pycocoevalcap.cider.cider import Cider as CocoCider  # noqa: E402
from pycocoevalcap.rouge.rouge import Rouge as CocoRouge  # noqa: E402


def _dataset(n_images: int, seed: int, style: str):
    ann, res = coco_caption_files(n_images, refs_per_image=5, seed=seed, style=style)
    refs: dict[int, list[str]] = {}
    for a in ann["annotations"]:
        refs.setdefault(a["image_id"], []).append(a["caption"])
    preds = {r["image_id"]: r["caption"] for r in res}
    ids = sorted(preds)
    return [preds[i] for i in ids], [refs[i] for i in ids]


def _lines(captions: list[str]) -> list[str]:
    """``ptb`` of each caption read as a line of one file, as pycocoevalcap's Java run
    reads the references (and, in a second run, the predictions)."""
    return [ptb(c, _following(captions, k)) for k, c in enumerate(captions)]


def _coco(preds, refs):
    """pycocoevalcap's scores from our ``ptb`` tokens (its Java tokenizer bypassed)."""
    flat = iter(_lines([r for rs in refs for r in rs]))
    gts = {i: [next(flat) for _ in rs] for i, rs in enumerate(refs)}
    res = {i: [p] for i, p in enumerate(_lines(preds))}
    bleu, _ = CocoBleu(4).compute_score(gts, res, verbose=0)
    rouge, _ = CocoRouge().compute_score(gts, res)
    cider, _ = CocoCider().compute_score(gts, res)
    out = {f"Bleu_{k + 1}": b for k, b in enumerate(bleu)}
    return out | {"ROUGE_L": rouge, "CIDEr": cider}


@pytest.mark.parametrize(("n_images", "seed", "style"), [(300, 0, "plain"), (300, 1, "varied")])
def test_scores_equal_pycocoevalcap(n_images, seed, style):
    preds, refs = _dataset(n_images, seed, style)
    preds[3] = ""  # an empty prediction
    preds[5] = "..."  # only punctuation: empty after tokenization
    refs[7] = [*refs[7], "!"]  # an empty reference
    preds[9] = " ".join(["word"] * 70)  # longer than 64 tokens
    refs[9] = [*refs[9], " ".join(["word", "other"] * 40)]
    expected = _coco(preds, refs)
    ours = {}
    for name in ("bleu", "rouge_l", "cider"):
        m = get_metric(name)
        ours |= m.score(m.stats(preds, refs))
    assert set(ours) == set(expected)
    for key, value in expected.items():
        assert ours[key] == pytest.approx(value, abs=1e-9, rel=0), key
