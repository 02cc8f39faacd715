"""``mmbench leaderboard``: outputs, exit status and messages."""

from __future__ import annotations

import json

import pytest
from report.synthetic import template_record, write_inputs

from mmbench.cli import main


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("lb")
    template = template_record(out / "template")
    write_inputs(
        out / "runs",
        template,
        ["m-a", "m-b", "base"],
        [("toy_vqa", "vqa")],
        n_samples=60,
        quality={"m-a": 0.9, "m-b": 0.5, "base": 0.1},
    )
    return out / "runs"


def test_writes_every_output_and_exits_zero(inputs, tmp_path, capsys):
    out = tmp_path / "board"
    status = main(
        [
            "leaderboard",
            str(inputs),
            "--out",
            str(out),
            "--title",
            "Toy board",
            "--baseline",
            "base",
            "--bootstrap",
            "200",
            "--no-html",
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "| m-a | 1.00 |" in printed  # plain table when stdout is not a terminal
    data = json.loads((out / "leaderboard.json").read_text())
    assert data["title"] == "Toy board" and [m["name"] for m in data["models"]][0] == "m-a"
    rows = {r["model"]: r for r in data["tasks"][0]["rows"]}
    assert rows["m-b"]["vs_baseline"]["significant"] and rows["m-b"]["rank"] == 2
    assert "Toy board" in (out / "leaderboard.md").read_text()
    assert (out / "leaderboard.csv").read_text().startswith("model,family,mean_rank")


def test_skipped_input_exits_one_and_names_the_file(inputs, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    status = main(
        [
            "leaderboard",
            str(inputs),
            str(bad),
            "--out",
            str(tmp_path / "b"),
            "--bootstrap",
            "50",
            "--no-html",
        ]
    )
    assert status == 1
    assert f"skipped: {bad}: not a valid results record" in capsys.readouterr().err
    assert (tmp_path / "b" / "leaderboard.md").exists()  # built from what was valid


def test_nothing_valid_is_an_error(tmp_path, capsys):
    assert main(["leaderboard", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no valid results" in capsys.readouterr().err


def test_unknown_baseline_is_an_error(inputs, tmp_path, capsys):
    status = main(
        [
            "leaderboard",
            str(inputs),
            "--out",
            str(tmp_path / "o"),
            "--baseline",
            "nope",
            "--bootstrap",
            "50",
            "--no-html",
        ]
    )
    assert status == 2 and "--baseline 'nope'" in capsys.readouterr().err
