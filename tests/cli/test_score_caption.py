"""``mmbench score caption``: JSON output, refusal of mismatched ids, no torch import."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mmbench.cli import main
from mmbench.datasets._synthetic_captions import coco_caption_files
from mmbench.metrics.coco_caption import evaluate_coco_captions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def files(tmp_path):
    ann, res = coco_caption_files(40, seed=11, style="varied")
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    (tmp_path / "res.json").write_text(json.dumps(res))
    (tmp_path / "short.json").write_text(json.dumps(res[:-2] + [{"image_id": 999, "caption": "x"}]))
    return tmp_path


def test_json_output_has_keys_cis_signatures(files, capsys):
    argv = ["score", "caption", "--annotations", str(files / "ann.json")]
    argv += ["--results", str(files / "res.json"), "--json", "--bootstrap", "100"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out) == ["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4", "ROUGE_L", "CIDEr"]
    direct = evaluate_coco_captions(files / "ann.json", files / "res.json", n_resamples=0)
    for key, entry in out.items():
        assert entry["value"] == direct[key].value
        lo, hi = entry["ci95"]
        assert lo <= entry["value"] <= hi
    assert out["CIDEr"]["signature"].startswith("cider-d|tok:ptb-py|n:4|sigma:6|df:refs|mmbench:")


def test_mismatched_ids_are_refused_with_counts(files, capsys):
    argv = ["score", "caption", "--annotations", str(files / "ann.json")]
    argv += ["--results", str(files / "short.json")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "2 missing" in err and "1 extra" in err and "short.json" in err


def test_score_caption_does_not_import_torch(files):
    code = (
        "import sys\nfrom mmbench.cli import main\n"
        f"rc = main(['score', 'caption', '--annotations', {str(files / 'ann.json')!r}, "
        f"'--results', {str(files / 'res.json')!r}, '--bootstrap', '20'])\n"
        "assert rc == 0, rc\nassert 'torch' not in sys.modules, 'torch was imported'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_malformed_results_entries_are_named(files):
    from mmbench.metrics.coco_caption import CaptionFileError, load_coco_captions

    res = json.loads((files / "res.json").read_text())
    for broken, message in [
        ({**res[3], "caption": 7}, "entry 3 lacks image_id/caption (string)"),
        (res[0], f"image_id {res[0]['image_id']} has more than one caption"),
    ]:
        (files / "bad.json").write_text(json.dumps([*res[:3], broken, *res[4:]]))
        with pytest.raises(CaptionFileError, match=re.escape(message)):
            load_coco_captions(files / "ann.json", files / "bad.json")


def test_loading_without_msgspec_is_the_same(files, monkeypatch):
    from mmbench.metrics import coco_caption

    typed = coco_caption.load_coco_captions(files / "ann.json", files / "res.json")
    monkeypatch.setattr(coco_caption, "msgspec", None)
    assert coco_caption.load_coco_captions(files / "ann.json", files / "res.json") == typed
    (files / "bad.json").write_text('{"annotations": [{"image_id": 1}]}')
    with pytest.raises(coco_caption.CaptionFileError, match="annotation 0 lacks image_id/caption"):
        coco_caption.load_coco_captions(files / "bad.json", files / "res.json")
