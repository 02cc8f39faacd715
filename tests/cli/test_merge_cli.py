import json
from pathlib import Path

from mmbench.cli import main


def run(*args: str) -> int:
    return main(["run", "--model", "echo", "--task", "easyvqa", "--no-progress", *args])


def test_shard_jobs_then_merge_print_one_table(tmp_path: Path, capsys):
    for i in range(3):
        assert run("--limit", "30", "--shard", f"{i}/3", "--out", str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "shard 2/3 of easyvqa: 10 samples (10 predicted now)" in out
    assert f"mmbench merge {tmp_path}" in out and "mmbench results" not in out
    assert main(["merge", str(tmp_path), "--bootstrap", "50"]) == 0
    assert "mmbench results" in capsys.readouterr().out
    rec = json.loads((tmp_path / "results" / "easyvqa__echo.json").read_text())
    assert rec["n_samples"] == 30 and rec["distributed"]["world_size"] == 3


def test_merge_of_a_folder_without_shards_is_a_user_error(tmp_path: Path, capsys):
    assert main(["merge", str(tmp_path)]) == 2
    assert "no shard records" in capsys.readouterr().err


def test_bad_shard_is_a_user_error(tmp_path: Path, capsys):
    assert run("--shard", "2/2", "--out", str(tmp_path)) == 2
    assert "need 0 <= i < N" in capsys.readouterr().err


def test_a_single_shard_job_merges_too(tmp_path: Path):
    assert run("--limit", "10", "--shard", "0/1", "--out", str(tmp_path)) == 0
    assert main(["merge", str(tmp_path), "--bootstrap", "0"]) == 0
    rec = json.loads((tmp_path / "results" / "easyvqa__echo.json").read_text())
    assert rec["distributed"]["launcher"] == "shards" and rec["n_samples"] == 10
