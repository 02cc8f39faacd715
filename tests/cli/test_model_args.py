"""``--model-arg`` on run, profile and compare; a model that cannot be built is one message."""

from __future__ import annotations

import json
from pathlib import Path

from mmbench.cli import main

SPEC = "fake_models:Suffixed"


def _run(tmp_path: Path, *extra: str) -> int:
    return main(["run", "--model", SPEC, "--task", "easyvqa", "--limit", "20", "--out",
                 str(tmp_path), "--no-progress", "--bootstrap", "0", *extra])  # fmt: skip


def test_run_passes_options_records_them_and_keeps_secrets_out(tmp_path, capsys):
    args = ["--model-arg", "suffix=!", "-a", "token=s3cret", "--model-arg", "timeout=5"]
    assert _run(tmp_path, *args) == 0
    rec = json.loads((tmp_path / "results" / "easyvqa__suffixed.json").read_text())
    assert rec["model"]["args"] == {"suffix": "!", "timeout": "5"}
    preds = Path(rec["predictions_file"]).read_text()
    assert '"yes!"' in preds
    assert "s3cret" not in (tmp_path / "results" / "easyvqa__suffixed.json").read_text()
    assert "s3cret" not in preds
    # another suffix is another fingerprint: a new prediction file, nothing stale reused
    assert _run(tmp_path, "--model-arg", "suffix=?") == 0
    files = sorted((tmp_path / "predictions").rglob("*.jsonl"))
    assert len(files) == 2
    # a new secret or timeout is the same fingerprint: resumed, no third file
    assert _run(tmp_path, "--model-arg", "suffix=!", "-a", "token=other", "-a", "timeout=9") == 0
    assert sorted((tmp_path / "predictions").rglob("*.jsonl")) == files


def test_malformed_and_unknown_options_are_one_message(tmp_path, capsys):
    assert _run(tmp_path, "--model-arg", "suffix") == 2
    err = capsys.readouterr().err
    assert "'suffix' is not KEY=VALUE" in err and "Traceback" not in err
    assert _run(tmp_path, "--model-arg", "sufix=!") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "has no option 'sufix'" in err and "suffix: appended to every answer" in err
    assert not (tmp_path / "results").exists()


def test_model_without_weights_for_the_task_is_one_message_and_other_tasks_go_on(tmp_path, capsys):
    code = main(["run", "--model", "ref-gated", "--task", "coco_karpathy_test", "--out",
                 str(tmp_path), "--no-progress"])  # fmt: skip
    assert code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot build model 'ref-gated' for task coco_karpathy_test" in err
    assert "mmbench train" in err and "Traceback" not in err
    code = main(["run", "--model", "ref-gated", "--task", "coco_karpathy_test", "--task",
                 "easyvqa", "--limit", "20", "--out", str(tmp_path), "--no-progress",
                 "--bootstrap", "0"])  # fmt: skip
    assert code == 2
    out = " ".join(capsys.readouterr().out.split())
    assert "task coco_karpathy_test: cannot build model 'ref-gated'" in out
    assert (tmp_path / "results" / "easyvqa__ref-gated.json").is_file()


def test_profile_records_the_options(tmp_path, capsys):
    code = main(["profile", "--model", SPEC, "--task", "easyvqa", "--batch-sizes", "4",
                 "--limit", "8", "--warmup", "0", "--out", str(tmp_path), "-a", "suffix=!",
                 "-a", "token=s3cret"])  # fmt: skip
    assert code == 0
    text = (tmp_path / "profile" / "easyvqa__suffixed__cpu-fp32.json").read_text()
    assert json.loads(text)["model"]["args"] == {"suffix": "!"}
    assert "s3cret" not in text


def test_compare_refuses_options_the_reference_models_do_not_take(tmp_path, capsys):
    code = main(["compare", "--fusion", "gated", "--task", "easyvqa", "--limit", "20",
                 "--out", str(tmp_path), "--model-arg", "beam=4"])  # fmt: skip
    assert code == 2
    assert "'ref-gated' takes no --model-arg (got 'beam')" in capsys.readouterr().err
    assert not (tmp_path / "compare.json").exists()


def test_ls_models_lists_each_models_keys(capsys):
    assert main(["ls", "models", "--json"]) == 0
    rows = {r["model"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["sphinx"]["--model-arg keys"] == "beam, dict, hmm, lm, lw, maxhmmpf, pbeam, wbeam"
    assert rows["prior"]["--model-arg keys"] == ""
