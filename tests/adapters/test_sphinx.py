"""``sphinx``: PocketSphinx decodes real speech (spoken_shapes, a LibriSpeech-layout tree)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from mmbench.adapters.base import ModelBuildError, ModelContext, build_model, fingerprint
from mmbench.cli import main
from mmbench.metrics.base import get_metric
from mmbench.tasks import load_task

pocketsphinx = pytest.importorskip("pocketsphinx")


@pytest.fixture(scope="module")
def shapes():
    """The first utterances of spoken_shapes (real espeak-ng speech, shipped with mmbench)."""
    return list(load_task("spoken_shapes").samples(None))[:2]


@pytest.fixture(scope="module")
def small_lm(tmp_path_factory, shapes) -> dict[str, str]:
    """``--model-arg`` values for a unigram LM + dictionary over the spoken_shapes words (fast
    to decode), built from the wheel's CMU dictionary."""
    words = sorted({w.lower() for s in load_task("spoken_shapes").samples(None)
                    for w in s.references[0].split()})  # fmt: skip
    folder = tmp_path_factory.mktemp("lm")
    logp = f"{np.log10(1 / len(words)):.4f}"
    arpa = ["\\data\\", f"ngram 1={len(words) + 2}", "", "\\1-grams:", "-99.0000 <s>",
            f"{logp} </s>", *(f"{logp} {w}" for w in words), "", "\\end\\", ""]  # fmt: skip
    (folder / "shapes.lm").write_text("\n".join(arpa))
    cmudict = Path(pocketsphinx.get_model_path("en-us/cmudict-en-us.dict"))
    entries = [line for line in cmudict.read_text().splitlines()
               if line.split(" ", 1)[0].split("(")[0] in words]  # fmt: skip
    (folder / "shapes.dict").write_text("\n".join(entries) + "\n")
    return {"lm": str(folder / "shapes.lm"), "dict": str(folder / "shapes.dict")}


def _wer(hyps: list[str], refs: list[str]) -> float:
    metric = get_metric("wer")
    return metric.score(metric.stats(hyps, [[r] for r in refs]))["wer"]


def test_shipped_model_recognises_real_speech(shapes):
    """The wheel's own acoustic model, LM and dictionary; the numbers are from this decoder."""
    model = build_model("sphinx", ModelContext(load_task("spoken_shapes")))
    hyp = model.predict(shapes[:1])[0]
    assert hyp == hyp.upper() and hyp
    assert _wer([hyp], [shapes[0].references[0]]) < 0.7, hyp  # measured 0.4
    info = model.info()
    assert info["files"] == {"hmm": "en-us", "lm": "en-us.lm.bin", "dict": "cmudict-en-us.dict"}
    assert info["search"]["beam"] == pytest.approx(1e-48) and len(info["model_sha256"]) == 64


def test_small_lm_and_dict_options_are_used(shapes, small_lm):
    model = build_model("sphinx", ModelContext(model_args=small_lm))
    hyps = model.predict(shapes)
    lines = Path(small_lm["dict"]).read_text().splitlines()
    vocab = {line.split()[0].split("(")[0].upper() for line in lines}
    assert all(hyps) and set(" ".join(hyps).split()) <= vocab
    assert _wer(hyps, [s.references[0] for s in shapes]) < 0.5, hyps
    assert model.info()["files"]["lm"] == "shapes.lm"
    wider = build_model("sphinx", ModelContext(model_args={**small_lm, "beam": "1e-60"}))
    assert fingerprint(wider, "sphinx", {**small_lm, "beam": "1e-60"}) != fingerprint(
        model, "sphinx", small_lm
    )
    assert model.predict(shapes[::-1]) == hyps[::-1]  # no state leaks between utterances


def test_runs_on_a_librispeech_layout_tree(tmp_path, shapes, small_lm, capsys):
    """test-clean with two real utterances, one of them 44.1 kHz stereo (resampled on load)."""
    chapter = tmp_path / "LibriSpeech" / "test-clean" / "61" / "70968"
    chapter.mkdir(parents=True)
    lines = []
    for i, s in enumerate(shapes):
        utt = f"61-70968-{i:04d}"
        if i == 0:
            shutil.copy(s.audio_path, chapter / f"{utt}.flac")
        else:
            wave, rate = sf.read(s.audio_path, dtype="float32")
            wave = soxr.resample(wave, rate, 44_100)
            sf.write(chapter / f"{utt}.flac", np.stack([wave, wave], axis=1), 44_100)
        lines.append(f"{utt} {s.references[0]}\n")
    (chapter / "61-70968.trans.txt").write_text("".join(lines))
    args = [f"{k}={v}" for k, v in small_lm.items()]
    code = main(["run", "--model", "sphinx", "--task", "librispeech_test_clean", "--data-root",
                 str(tmp_path), "--out", str(tmp_path / "out"), "--no-progress", "--bootstrap",
                 "0", "-a", args[0], "-a", args[1]])  # fmt: skip
    assert code == 0
    rec = json.loads((tmp_path / "out/results/librispeech_test_clean__sphinx.json").read_text())
    assert rec["n_samples"] == 2 and rec["n_errors"] == 0
    assert 0.0 <= rec["scores"]["wer"]["value"] < 0.5
    assert rec["model"]["args"] == small_lm
    assert rec["profile"]["audio"]["rtfx"] > 0


def test_build_errors_are_one_message(tmp_path):
    with pytest.raises(ModelBuildError, match="runs on ASR tasks .* not on easyvqa"):
        build_model("sphinx", ModelContext(load_task("easyvqa")))
    with pytest.raises(ModelBuildError, match="lm=/no/such.lm: no such file"):
        build_model("sphinx", ModelContext(model_args={"lm": "/no/such.lm"}))
    with pytest.raises(ModelBuildError, match="beam=wide.*could not convert"):
        build_model("sphinx", ModelContext(model_args={"beam": "wide"}))
    with pytest.raises(ModelBuildError, match="has no option 'beem'.*Did you mean 'beam'"):
        build_model("sphinx", ModelContext(model_args={"beem": "1e-40"}))
    bad = tmp_path / "bad.lm"
    bad.write_text("not an ARPA model\n")
    with pytest.raises(ModelBuildError, match="could not start"):
        build_model("sphinx", ModelContext(model_args={"lm": str(bad)}))


def test_missing_extra_names_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)  # import raises ImportError
    with pytest.raises(ModelBuildError, match=r'pip install "mmbench\[sphinx\]"'):
        build_model("sphinx", ModelContext(load_task("spoken_shapes")))
