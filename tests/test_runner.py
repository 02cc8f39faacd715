import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mmbench.adapters.base import ModelError
from mmbench.results import validate
from mmbench.runner import RunAborted, RunConfig, run_task
from mmbench.tasks import load_task

TASK = load_task("easyvqa")


def cfg(tmp_path: Path, **kw) -> RunConfig:
    return RunConfig(out_dir=tmp_path, progress=False, n_resamples=200, **kw)


def test_prior_run_writes_valid_results(tmp_path: Path):
    res = run_task("prior", TASK, cfg(tmp_path, limit=200))
    rec = json.loads(res.path.read_text())
    validate(rec)
    assert rec["n_samples"] == 200 and rec["n_errors"] == 0
    ((name, score),) = rec["scores"].items()
    lo, hi = score["ci95"]
    assert 0.4 < score["value"] < 0.9 and lo <= score["value"] <= hi
    assert name == "vqa_accuracy" and score["signature"].startswith("vqa-acc|rules:2021|")
    assert rec["model"]["fingerprint"] and rec["task"]["version"] == TASK.version
    lines = Path(rec["predictions_file"]).read_text().splitlines()
    assert len(lines) == 201  # header + one line per sample


def test_scores_identical_across_batch_sizes(tmp_path: Path):
    records = [
        run_task("prior", TASK, cfg(tmp_path / str(bs), limit=300, batch_size=bs)).record
        for bs in (1, 7, 32)
    ]
    assert records[0]["scores"] == records[1]["scores"] == records[2]["scores"]


def test_model_errors_are_isolated_recorded_and_scored_empty(tmp_path: Path):
    res = run_task("fake_models:flaky", TASK, cfg(tmp_path, limit=100, batch_size=16))
    rec = res.record
    samples = list(TASK.samples())[:100]
    circles = {s.id for s in samples if "circle" in s.text}
    assert circles and rec["n_errors"] == len(circles)
    assert {e["id"] for e in rec["errors"]} == circles
    assert all("cannot handle circles" in e["error"] for e in rec["errors"])
    # errors count as wrong answers; everything else answered "yes"
    yes = sum(1 for s in samples if s.id not in circles and s.references[0] == "yes")
    assert list(rec["scores"].values())[0]["value"] == pytest.approx(yes / 100)


def test_fail_fast_stops_and_keeps_predictions(tmp_path: Path):
    with pytest.raises(RunAborted, match="flaky"):
        run_task("fake_models:flaky", TASK, cfg(tmp_path, limit=100, batch_size=1, fail_fast=True))
    (pred_file,) = (tmp_path / "predictions").rglob("*.jsonl")
    kept = pred_file.read_text().splitlines()[1:]
    assert kept and all("prediction" in json.loads(x) for x in kept)


def test_wrong_number_of_outputs_names_model_and_batch(tmp_path: Path):
    with pytest.raises(ModelError, match=r"model 'short' returned 7 outputs for a batch of 8"):
        run_task("fake_models:short", TASK, cfg(tmp_path, limit=20, batch_size=8))


def test_images_are_decoded_in_workers_for_image_models(tmp_path: Path):
    res = run_task(
        "fake_models:image_reader", TASK, cfg(tmp_path, limit=40, batch_size=8, workers=2)
    )
    assert res.record["n_errors"] == 0 and res.record["n_samples"] == 40


def test_rerun_skips_done_samples(tmp_path: Path, monkeypatch):
    log = tmp_path / "log.txt"
    monkeypatch.setenv("MMBENCH_TEST_LOG", str(log))
    first = run_task("fake_models:recording", TASK, cfg(tmp_path, limit=50))
    second = run_task("fake_models:recording", TASK, cfg(tmp_path, limit=80))
    ids = log.read_text().split()
    assert len(ids) == len(set(ids)) == 80  # 50, then only the 30 new ones
    assert second.record["n_samples"] == 80 and first.record["n_samples"] == 50


@pytest.mark.slow
def test_sigkill_midway_then_resume_matches_uninterrupted(tmp_path: Path):
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
        ),
        "MMBENCH_TEST_LOG": str(tmp_path / "log.txt"),
        "MMBENCH_TEST_DELAY": "0.02",
    }
    cmd = [
        sys.executable,
        "-m",
        "mmbench",
        "run",
        "--model",
        "fake_models:slow_recording",
        "--task",
        "easyvqa",
        "--limit",
        "600",
        "--batch-size",
        "10",
        "--no-progress",
        "--bootstrap",
        "100",
        "--out",
        str(tmp_path / "out"),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    store_dir = tmp_path / "out" / "predictions"
    deadline = time.time() + 60
    while time.time() < deadline:
        files = list(store_dir.rglob("*.jsonl")) if store_dir.exists() else []
        if files and len(files[0].read_text().splitlines()) > 150:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (store,) = store_dir.rglob("*.jsonl")
    stored_before = {json.loads(x)["id"] for x in store.read_text().splitlines()[1:]}
    assert 150 <= len(stored_before) < 600
    predicted_before = (tmp_path / "log.txt").read_text().split()
    assert len(predicted_before) - len(stored_before) <= 10  # at most the batch in flight lost

    (tmp_path / "log.txt").write_text("")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rerun_ids = (tmp_path / "log.txt").read_text().split()
    assert not stored_before & set(rerun_ids)  # nothing stored is predicted twice
    assert len(rerun_ids) == len(set(rerun_ids)) == 600 - len(stored_before)

    whole = subprocess.run(
        [*cmd[:-1], str(tmp_path / "whole")],
        env={**env, "MMBENCH_TEST_DELAY": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert whole.returncode == 0, whole.stderr
    (a,) = (tmp_path / "out" / "results").glob("*.json")
    (b,) = (tmp_path / "whole" / "results").glob("*.json")
    assert json.loads(a.read_text())["scores"] == json.loads(b.read_text())["scores"]


def test_task_normalizer_is_the_default_of_metrics_that_take_one():
    from mmbench.runner import task_metric_options
    from mmbench.tasks import MetricSpec

    shapes = load_task("spoken_shapes")  # normalizer: librispeech
    assert task_metric_options(shapes, MetricSpec("wer")) == {"normalizer": "librispeech"}
    assert task_metric_options(shapes, MetricSpec("wer", {"normalizer": "english"})) == {
        "normalizer": "english"
    }
    assert task_metric_options(TASK, MetricSpec("vqa_accuracy", {"rules": "2021"})) == {
        "rules": "2021"
    }
