"""The shipped Hugging Face ``evaluate`` module scripts load offline, by path."""

import pytest

from mmbench.integrations import EVALUATE_MODULES, evaluate_module_path

evaluate = pytest.importorskip("evaluate", reason="the 'hf' extra (evaluate) is not installed")


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_MODULES_CACHE", str(tmp_path / "modules"))


def test_wer_and_cer_modules():
    for name in ("wer", "cer"):
        mod = evaluate.load(evaluate_module_path(name))
        out = mod.compute(predictions=["hello word", ""], references=["HELLO WORLD", "GOOD DAY"])
        key = name
        from mmbench.metrics.base import get_metric

        m = get_metric(name)
        assert out[key] == m.score(m.stats(["hello word", ""], ["HELLO WORLD", "GOOD DAY"]))[key]
        assert out["signature"].startswith(f"{name}|norm:librispeech|")


def test_vqa_module_with_ci():
    mod = evaluate.load(evaluate_module_path("vqa_accuracy"))
    out = mod.compute(
        predictions=["two", "no"], references=[["2"] * 3 + ["3"] * 7, ["yes"] * 10], n_resamples=50
    )
    assert out["vqa_accuracy"] == pytest.approx(0.45)
    assert out["signature"].startswith("vqa-acc|rules:2021|")
    assert len(out["ci95"]) == 2


def test_unknown_module_name():
    assert "vqa_accuracy" in EVALUATE_MODULES
    with pytest.raises(ValueError, match="shipped"):
        evaluate_module_path("bleurt")
