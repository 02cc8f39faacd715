"""``mmbench profile`` writes a table, a JSON and a PNG for a tiny torch model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from mmbench.cli import main

pytest.importorskip("torch")
ROOT = Path(__file__).resolve().parents[2]


def test_profile_sweep_outputs(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.syspath_prepend(str(ROOT))
    args = ["profile", "--model", "tests.fixtures.torch_models:make_linear", "--task", "easyvqa"]
    code = main(
        [*args, "--batch-sizes", "1,4", "--limit", "8", "--warmup", "1", "--out", str(tmp_path)]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "linear-64x8 on easyvqa" in out and "samples/s" in out
    rec = json.loads((tmp_path / "profile" / "easyvqa__linear-64x8__cpu-fp32.json").read_text())
    assert [p["batch_size"] for p in rec["points"]] == [1, 4]
    assert [p["measured_batches"] for p in rec["points"]] == [8, 2]
    assert all(p["warmup_batches"] == 1 for p in rec["points"])
    assert all(p["flops"]["per_sample"] == 2 * 64 * 8 for p in rec["points"])
    assert rec["dtype_mode"] == "native" and rec["compile"] == "off"
    assert rec["hardware"]["dtype"] == "float32" and rec["pool_samples"] == 8
    with Image.open(tmp_path / "profile" / "easyvqa__linear-64x8__cpu-fp32.png") as img:
        assert img.format == "PNG" and img.size == (600, 400)


def test_profile_bf16_casts_through_the_adapter_hook(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(ROOT))
    args = ["profile", "--model", "tests.fixtures.torch_models:make_linear", "--task", "easyvqa"]
    assert (
        main(
            [
                *args,
                "--batch-sizes",
                "2",
                "--limit",
                "4",
                "--warmup",
                "0",
                "--dtype",
                "bf16",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    rec = json.loads((tmp_path / "profile" / "easyvqa__linear-64x8__cpu-bf16.json").read_text())
    assert rec["dtype_mode"] == "cast" and rec["hardware"]["dtype"] == "bfloat16"


def test_profile_non_torch_model_reports_na(tmp_path, capsys):
    args = ["profile", "--model", "constant:yes", "--task", "easyvqa", "--batch-sizes", "4"]
    assert (
        main([*args, "--limit", "8", "--warmup", "0", "--dtype", "fp16", "--out", str(tmp_path)])
        == 0
    )
    assert "--dtype: n/a" in capsys.readouterr().out
    rec = json.loads((tmp_path / "profile" / "easyvqa__constant_yes__cpu-fp16.json").read_text())
    assert rec["points"][0]["flops"]["per_sample"] is None
    assert rec["hardware"]["dtype"] is None


def test_profile_cuda_on_cpu_build_is_a_clear_error(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    args = ["profile", "--model", "constant:yes", "--task", "easyvqa", "--device", "cuda"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert "is_available() is False" in capsys.readouterr().err
    assert not (tmp_path / "profile").exists()


def test_bad_batch_sizes_rejected(tmp_path, capsys):
    args = ["profile", "--model", "constant:yes", "--task", "easyvqa", "--batch-sizes", "0,x"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    assert "--batch-sizes must be positive integers" in capsys.readouterr().err
