"""``mmbench compare`` and ``mmbench train`` through the CLI entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from mmbench.cli import main


def test_compare_writes_one_table(tmp_path, capsys):
    """Two tasks; ``seed`` (written questions only) is skipped on captioning, with a reason."""
    out = tmp_path / "cmp"
    code = main(["compare", "--fusion", "gated", "--fusion", "seed", "--task", "easyvqa",
                 "--task", "shapes_caption", "--limit", "40", "--out", str(out)])  # fmt: skip
    assert code == 0
    rows = json.loads((out / "compare.json").read_text())["rows"]
    pairs = [(r["task"], r["model"]) for r in rows]
    assert pairs == [("easyvqa", "ref-gated"), ("easyvqa", "seed"), ("shapes_caption", "ref-gated")]
    assert [r["metric"] for r in rows] == ["vqa_accuracy", "vqa_accuracy", "CIDEr"]
    for r in rows:
        assert 0.0 <= r["score"] <= 10.0 and r["n_samples"] == 40
        assert r["parameters"] > 0 and r["flops_per_sample"] > 1e5 and r["samples_per_s"] > 0
    with open(out / "compare.csv", newline="") as fh:
        assert [r["model"] for r in csv.DictReader(fh)] == ["ref-gated", "seed", "ref-gated"]
    md = (out / "compare.md").read_text()
    assert "| easyvqa | ref-gated | vqa_accuracy |" in md
    printed = " ".join(capsys.readouterr().out.split())
    assert "ref-gated" in printed
    assert "seed skipped on shapes_caption: it answers written questions only" in printed


def test_compare_warmup_sets_the_timed_batches(tmp_path):
    out = tmp_path / "cmp"
    code = main(["compare", "--fusion", "concat", "--task", "easyvqa", "--limit", "40",
                 "--warmup", "0", "--out", str(out)])  # fmt: skip
    assert code == 0
    (row,) = json.loads((out / "compare.json").read_text())["rows"]
    profile = json.loads(Path(row["results"]).read_text())["profile"]
    assert profile["warmup_batches"] == 0  # all 2 batches of 32 timed (default: 1 of them)
    assert profile["samples_per_s"] == row["samples_per_s"]


def test_compare_rerun_into_the_same_folder_says_why_speed_is_missing(tmp_path, capsys):
    args = ["compare", "--fusion", "concat", "--task", "easyvqa", "--limit", "40"]
    assert main([*args, "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main([*args, "--out", str(tmp_path)]) == 0
    (row,) = json.loads((tmp_path / "compare.json").read_text())["rows"]
    assert row["samples_per_s"] is None and row["n_samples"] == 40  # scores kept
    printed = " ".join(capsys.readouterr().out.split())
    assert "every prediction was resumed" in printed and "fresh --out" in printed


def test_compare_rejects_unknown_fusion(tmp_path):
    assert main(["compare", "--fusion", "nope", "--task", "easyvqa", "--out", str(tmp_path)]) == 2


def test_train_cli_writes_weights_config_and_card(tmp_path):
    args = ["--fusion", "concat", "--task", "easyvqa", "--steps", "3", "--limit", "200"]
    code = main(["train", *args, "--no-test", "--out", str(tmp_path)])
    assert code == 0
    card = json.loads((tmp_path / "easyvqa-concat.card.json").read_text())
    assert card["recipe"]["steps"] == 3 and card["recipe"]["seed"] == 0
    assert (tmp_path / "easyvqa-concat.safetensors").is_file()
    assert (
        json.loads((tmp_path / "easyvqa-concat.json").read_text())["recipe"]["fusion"] == "concat"
    )


def test_train_all_includes_seed_only_for_written_vqa():
    from mmbench.cli.train import _written_vqa

    assert _written_vqa("easyvqa", None)
    assert not _written_vqa("shapes_caption", None)
