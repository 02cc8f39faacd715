"""METEOR through pycocoevalcap's jar: parity with its Meteor, resampling, clear refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmbench.cli import main
from mmbench.datasets._synthetic_captions import coco_caption_files
from mmbench.metrics import meteor as meteor_mod
from mmbench.metrics.base import get_metric
from mmbench.normalize.ptb import ptb

needs_jar = pytest.mark.skipif(
    meteor_mod.meteor_status() is not None, reason=f"{meteor_mod.meteor_status()}"
)


def _dataset(n_images: int, seed: int):
    ann, res = coco_caption_files(n_images, refs_per_image=5, seed=seed, style="varied")
    refs: dict[int, list[str]] = {}
    for a in ann["annotations"]:
        refs.setdefault(a["image_id"], []).append(a["caption"])
    ids = [r["image_id"] for r in res]
    return [r["caption"] for r in res], [refs[i] for i in ids]


@needs_jar
def test_meteor_equals_pycocoevalcap_and_resamples_exactly():
    from pycocoevalcap.meteor.meteor import Meteor as CocoMeteor

    preds, refs = _dataset(24, seed=4)
    preds[2] = ""  # an empty prediction
    preds[5] = refs[5][0]  # a perfect match: one chunk, dropped when aggregating
    gts = {i: [ptb(r) for r in rs] for i, rs in enumerate(refs)}
    res = {i: [ptb(p)] for i, p in enumerate(preds)}
    expected, _ = CocoMeteor().compute_score(gts, res)
    m = get_metric("meteor")
    stats = m.stats(preds, refs)
    assert all(s.shape == (meteor_mod.N_STATS,) for s in stats)
    assert m.score(stats)["METEOR"] == pytest.approx(expected, abs=1e-9, rel=0)
    idx = np.random.default_rng(0).integers(0, len(stats), size=(3, len(stats)))
    fast = m.resample(stats, idx)["METEOR"]
    for b, row in enumerate(idx):
        assert fast[b] == pytest.approx(m.score([stats[i] for i in row])["METEOR"], abs=1e-12)
    assert m.signature().startswith("meteor-1.5|tok:ptb-py|lang:en|norm:yes|")


def test_missing_java_gives_install_instructions(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(meteor_mod.shutil, "which", lambda _: None)
    status = meteor_mod.meteor_status()
    assert "java is not on PATH" in status and "apt-get install default-jre" in status
    ann, res = coco_caption_files(5, seed=1)
    (tmp_path / "a.json").write_text(json.dumps(ann))
    (tmp_path / "r.json").write_text(json.dumps(res))
    argv = ["score", "caption", "--annotations", str(tmp_path / "a.json")]
    assert main([*argv, "--results", str(tmp_path / "r.json"), "--metric", "meteor"]) == 2
    assert "pip install" in capsys.readouterr().err
    assert main([*argv, "--results", str(tmp_path / "r.json"), "--metric", "spice"]) == 2
    assert "cannot run offline" in capsys.readouterr().err
