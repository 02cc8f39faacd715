"""`mmbench serve` in a subprocess on 127.0.0.1 and `mmbench run --model openai:...` against it."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from mmbench.cli import main

pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")

START_TIMEOUT_S = 120


def start_serve(*args: str) -> tuple[subprocess.Popen, str]:
    """``mmbench serve ARGS --port 0`` and its URL (from the one line it prints when ready)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mmbench", "serve", "--port", "0", "--idle-timeout", "300", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()
    try:
        line = lines.get(timeout=START_TIMEOUT_S)
    except queue.Empty:
        line = ""
    if " at http://127.0.0.1:" not in line:
        proc.kill()
        raise AssertionError(f"serve did not start: {line!r} {proc.communicate()[1][-2000:]}")
    return proc, line.rsplit(" at ", 1)[1].strip()


#: task -> samples compared: VQA (image + text), spoken VQA (image + audio, no text), ASR.
LIMITS = {"easyvqa": 50, "spoken_vqa": 20, "spoken_shapes": 10}


@pytest.fixture(params=sorted(LIMITS))
def served_ref_gated(request, tmp_path_factory, monkeypatch) -> Iterator[tuple[str, str]]:
    monkeypatch.setenv("MMBENCH_DATA", str(tmp_path_factory.mktemp("data")))
    proc, url = start_serve("--model", "ref-gated", "--task", request.param)
    yield request.param, url
    proc.terminate()
    proc.wait(timeout=30)


def _run(model: str, task: str, out: Path, *more: str) -> dict:
    argv = ["run", "--model", model, *more, "--task", task, "--limit", str(LIMITS[task])]
    assert main([*argv, "--out", str(out), "--no-progress", "--bootstrap", "20"]) == 0
    return json.loads(next((out / "results").glob(f"{task}__*.json")).read_text())


def _predictions(record: dict) -> dict[str, str]:
    lines = Path(record["predictions_file"]).read_text().splitlines()[1:]
    return {r["id"]: r["prediction"] for r in map(json.loads, lines)}


@pytest.mark.slow
def test_openai_client_against_serve_equals_in_process(served_ref_gated, tmp_path):
    task, url = served_ref_gated
    served = _run("openai:ref-gated", task, tmp_path / "served", "--model-arg", f"base_url={url}")
    local = _run("ref-gated", task, tmp_path / "local")
    assert served["n_errors"] == 0 and served["n_samples"] == local["n_samples"] == LIMITS[task]
    assert _predictions(served) == _predictions(local)
    assert served["scores"] == local["scores"]
    assert served["model"]["info"]["device"] == url
    health = httpx.get(url.removesuffix("/v1") + "/health").json()
    assert health["requests"] == LIMITS[task] and health["task"] == task
    assert health["batches"] < LIMITS[task]  # the client's 8 concurrent requests were batched


def test_a_server_that_does_not_answer_is_one_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    code = main(["run", "--model", "openai:m", "--task", "easyvqa", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "does not answer http://127.0.0.1:9/v1/models" in err and "Traceback" not in err


def test_serve_with_a_key_and_stops_when_idle(monkeypatch):
    monkeypatch.setenv("MMBENCH_TEST_SERVE_KEY", "k-123")
    proc, url = start_serve(
        "--model", "constant:yes", "--api-key-env", "MMBENCH_TEST_SERVE_KEY", "--idle-timeout", "1"
    )
    assert httpx.get(url + "/models").status_code == 401
    key = {"Authorization": "Bearer k-123"}
    assert httpx.get(url + "/models", headers=key).json()["data"][0]["id"] == "constant:yes"
    assert proc.wait(timeout=60) == 0


def test_a_busy_port_is_one_message(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = str(busy.getsockname()[1])
        assert main(["serve", "--model", "constant:yes", "--port", port]) == 2
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
