"""``evaluate_coco_captions`` equals pycocoevalcap's own pipeline (pycocotools + the Java
PTBTokenizer) on files whose ``images`` order differs from their annotations' order."""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest

from mmbench.metrics.coco_caption import evaluate_coco_captions, load_coco_captions

pytest.importorskip("pycocoevalcap")

# Image 1's last reference ends in a one-letter abbreviation: Java's PTB lexer keeps or drops
# its period by the first word of the NEXT line, which is image 3's first reference in the
# ``images`` order (``The``: period dropped) but image 2's in annotation order (``a``: kept).
REFS = {
    1: ["a red sign on a pole", "a sign with the big letter A."],
    2: ["a dog runs on the grass", "a brown dog running"],
    3: ["The cat sleeps on a sofa", "a cat asleep on a couch"],
}
PREDS = {1: "a sign with a letter", 2: "a dog on grass", 3: "a cat on a couch"}


def _files(tmp_path):
    ann = {
        "images": [{"id": i} for i in (1, 3, 2)],
        "annotations": [
            {"id": 10 * i + k, "image_id": i, "caption": c}
            for i, caps in REFS.items()
            for k, c in enumerate(caps)
        ],
    }
    res = [{"image_id": i, "caption": c} for i, c in PREDS.items()]
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    (tmp_path / "res.json").write_text(json.dumps(res))
    return tmp_path / "ann.json", tmp_path / "res.json"


def test_images_come_in_the_images_list_order(tmp_path):
    ann, res = _files(tmp_path)
    ids, preds, refs = load_coco_captions(ann, res)
    assert ids == [1, 3, 2] and preds == [PREDS[i] for i in ids] and refs[1] == REFS[3]


def test_scores_equal_pycocoevalcaps_pipeline(tmp_path):
    if shutil.which("java") is None:
        pytest.skip("needs Java (Debian default-jre-headless) for pycocoevalcap's PTBTokenizer")
    from pycocoevalcap.bleu.bleu import Bleu
    from pycocoevalcap.cider.cider import Cider
    from pycocoevalcap.rouge.rouge import Rouge
    from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer
    from pycocotools.coco import COCO

    ann, res = _files(tmp_path)
    with contextlib.redirect_stdout(io.StringIO()):  # COCOEvalCap.evaluate's steps, minus SPICE
        coco = COCO(str(ann))
        coco_res = coco.loadRes(str(res))
        img_ids = coco_res.getImgIds()
        gts = PTBTokenizer().tokenize({i: coco.imgToAnns[i] for i in img_ids})
        hyp = PTBTokenizer().tokenize({i: coco_res.imgToAnns[i] for i in img_ids})
    assert "a sign with the big letter a" in gts[1]  # the order-dependent token: no period
    expected = {f"Bleu_{k + 1}": b for k, b in enumerate(Bleu(4).compute_score(gts, hyp)[0])}
    expected |= {"ROUGE_L": Rouge().compute_score(gts, hyp)[0]}
    expected |= {"CIDEr": Cider().compute_score(gts, hyp)[0]}
    ours = evaluate_coco_captions(ann, res, n_resamples=0)
    for key, value in expected.items():
        assert ours[key].value == pytest.approx(value, abs=1e-12, rel=0), key
