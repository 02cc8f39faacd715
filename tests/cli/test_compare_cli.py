"""``mmbench compare`` and ``mmbench train`` through the CLI entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

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
                 "--warmup", "0", "--threads", "1", "--out", str(out)])  # fmt: skip
    assert code == 0
    (row,) = json.loads((out / "compare.json").read_text())["rows"]
    profile = json.loads(Path(row["results"]).read_text())["profile"]
    assert profile["warmup_batches"] == 0  # all 2 batches of 32 timed (default: 1 of them)
    assert (profile["threads"]["threads"], profile["threads"]["source"]) == (1, "user")
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


OWN = "tests.fixtures.fusions:Hadamard"


def test_your_own_fusion_trains_runs_and_compares(tmp_path, capsys):
    """Train it, evaluate the checkpoint with ``ref:PATH``, compare it with a shipped method."""
    budget = ["--steps", "3", "--limit", "200"]
    assert main(["train", "--fusion", OWN, "--task", "easyvqa", *budget, "--no-test",
                 "--out", str(tmp_path / "w")]) == 0  # fmt: skip
    weights = tmp_path / "w" / "easyvqa-Hadamard.safetensors"
    config = json.loads(weights.with_suffix(".json").read_text())
    assert config["recipe"]["fusion"] == OWN and config["model"]["fusion"] == OWN
    card = json.loads((tmp_path / "w" / "easyvqa-Hadamard.card.json").read_text())
    assert card["model"] == "ref-Hadamard"

    run_out = tmp_path / "run"
    assert main(["run", "--model", f"ref:{weights}", "--task", "easyvqa", "--limit", "16",
                 "--bootstrap", "0", "--no-progress", "--out", str(run_out)]) == 0  # fmt: skip
    record = json.loads((run_out / "results" / "easyvqa__ref-Hadamard.json").read_text())
    assert record["model"]["name"] == "ref-Hadamard" and record["n_samples"] == 16

    out = tmp_path / "cmp"
    capsys.readouterr()
    assert main(["compare", "--fusion", OWN, "--fusion", "concat", "--task", "easyvqa",
                 "--limit", "16", "--train", "--steps", "2", "--out", str(out)]) == 0  # fmt: skip
    rows = json.loads((out / "compare.json").read_text())["rows"]
    assert [(r["model"], r["fusion"]) for r in rows] == [
        ("ref-Hadamard", OWN),
        ("ref-concat", "concat"),
    ]
    assert all(r["n_samples"] == 16 and r["parameters"] > 0 for r in rows)


def test_your_own_fusion_needs_training_to_compare(tmp_path, capsys):
    assert main(["compare", "--fusion", OWN, "--task", "easyvqa", "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    printed = " ".join(captured.out.split())
    assert (
        "ref-Hadamard skipped on easyvqa: no shipped weights (train them with --train)" in printed
    )
    assert "nothing to compare" in " ".join(captured.err.split())


@pytest.mark.parametrize("command", ["compare", "train"])
def test_a_fusion_that_does_not_import_is_one_clear_error(tmp_path, capsys, command):
    args = [command, "--fusion", "tests.fixtures.fusions:Nope", "--task", "easyvqa"]
    assert main([*args, "--out", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot import 'Nope' from 'tests.fixtures.fusions'" in err
    assert "Traceback" not in err


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
