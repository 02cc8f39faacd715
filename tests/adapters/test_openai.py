"""The openai: client against a fault-injecting chat-completions server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mmbench.adapters.base import ModelBuildError, ModelContext, build_model
from mmbench.adapters.openai import parse_options, public_url
from mmbench.registry import READERS
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import MetricSpec, Task
from mmbench.types import Sample, TaskKind

SECRET = "sk-test-do-not-leak-4242"

#: question -> what the server does on each attempt ("ok" answers, "slow" sleeps past the
#: client's timeout, "500"/"429" fail with that status, "garble" sends broken JSON, "drop"
#: closes the connection without a response); the last entry repeats.
SCRIPTS = {
    "ok-a": ["ok"],
    "ok-b": ["ok"],
    "flaky": ["500", "ok"],
    "limited": ["429", "ok"],
    "dropped-once": ["drop", "ok"],
    "ok-c": ["ok"],
    "slow": ["slow"],
    "garbled": ["garble"],
    "dead": ["drop"],
    "ok-d": ["ok"],
}
FAILING = {"slow": "timed out", "garbled": "malformed response", "dead": "connection failed"}


def _answer(question: str) -> str:
    return question.replace("-", " ")


class FaultServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.attempts: dict[str, list[float]] = defaultdict(list)
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    server: FaultServer

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)  # fails when the client gave up (timeout): fine

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._send(200, json.dumps({"object": "list", "data": [{"id": "fault"}]}).encode())
        else:
            self._send(404, b"{}")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.headers.get("Authorization") != f"Bearer {SECRET}":
            self._send(401, json.dumps({"error": {"message": "bad key"}}).encode())
            return
        question = body["messages"][-1]["content"][-1]["text"].split("\n")[0]
        with self.server.lock:
            self.server.attempts[question].append(time.monotonic())
            n = len(self.server.attempts[question])
        script = SCRIPTS[question]
        action = script[min(n, len(script)) - 1]
        if action == "ok":
            answer = {"choices": [{"message": {"role": "assistant", "content": _answer(question)}}]}
            self._send(200, json.dumps(answer).encode())
        elif action == "slow":
            time.sleep(3.0)  # past the client timeout even on a loaded machine
            self._send(200, b"{}")
        elif action == "500":
            self._send(500, json.dumps({"error": {"message": "engine overloaded"}}).encode())
        elif action == "429":
            self._send(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "1"})
        elif action == "garble":
            self._send(200, b'{"choices": [{"message": ')
        elif action == "drop":
            self.close_connection = True  # no response at all


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    server = FaultServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@READERS.register("openai_fault_questions")
def _fault_questions(data_root: Path, task: Task) -> list[Sample]:
    return [
        Sample(id=f"q{i}", kind=TaskKind.VQA, text=q, references=(_answer(q),) * 10)
        for i, q in enumerate(SCRIPTS)
    ]


FAULT_TASK = Task(
    name="openai_faults",
    version=1,
    kind=TaskKind.VQA,
    reader="openai_fault_questions",
    reader_args={},
    metrics=(MetricSpec("vqa_accuracy"),),
    defaults={"batch_size": 10, "max_new_tokens": 3},
)
ARGS = {"timeout": "1", "max_retries": "2", "retry_wait_max": "2", "concurrency": "4"}


def _model(url: str, **args: str):
    return build_model(
        "openai:fault", ModelContext(FAULT_TASK, model_args={"base_url": url, **args})
    )


def test_every_fault_is_survived_and_nothing_predicted_is_lost(fault_server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    args = {"base_url": fault_server.url, **ARGS}
    cfg = RunConfig(out_dir=tmp_path, progress=False, n_resamples=0, workers=0, model_args=args)
    record = run_task("openai:fault", FAULT_TASK, cfg).record

    by_id = {f"q{i}": q for i, q in enumerate(SCRIPTS)}
    errors = {by_id[e["id"]]: e["error"] for e in record["errors"]}
    assert record["n_errors"] == len(FAILING) == len(errors)
    for question, reason in FAILING.items():
        assert reason in errors[question], errors[question]
    lines = Path(record["predictions_file"]).read_text().splitlines()[1:]
    texts = {by_id[r["id"]]: r["prediction"] for r in map(json.loads, lines) if "prediction" in r}
    assert texts == {q: _answer(q) for q in SCRIPTS if q not in FAILING}
    assert record["scores"]["vqa_accuracy"]["value"] == pytest.approx(
        (len(SCRIPTS) - len(FAILING)) / len(SCRIPTS)
    )

    att = fault_server.attempts
    # a failure elsewhere in the batch does not ask the server twice for answers it gave
    assert {q: len(att[q]) for q in ("ok-a", "ok-b", "ok-c", "ok-d")} == dict.fromkeys(
        ("ok-a", "ok-b", "ok-c", "ok-d"), 1
    )
    assert len(att["flaky"]) == len(att["dropped-once"]) == len(att["limited"]) == 2
    assert att["limited"][1] - att["limited"][0] >= 0.95  # Retry-After: 1 was honoured
    assert len(att["slow"]) == len(att["dead"]) == 3  # 1 + max_retries
    assert len(att["garbled"]) == 1  # a malformed answer is not asked again

    # the key was sent (the server checks it) but is written nowhere
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            text = gzip.decompress(data) if path.suffix == ".gz" else data  # sample logs
            assert SECRET.encode() not in text, path
    assert "base_url" not in record["model"]["args"]  # recorded as info.device, cleaned
    assert record["model"]["args"]["concurrency"] == "4"
    assert record["model"]["info"]["device"] == fault_server.url

    # a rerun, with another concurrency, asks only for what failed and keeps every answer
    cfg.model_args = {**args, "concurrency": "2"}
    rerun = run_task("openai:fault", FAULT_TASK, cfg)
    assert {q: len(v) for q, v in att.items() if q.startswith("ok")} == dict.fromkeys(
        ("ok-a", "ok-b", "ok-c", "ok-d"), 1
    )
    assert len(att["garbled"]) == 2 and rerun.record["n_errors"] == len(FAILING)
    assert rerun.record["model"]["fingerprint"] == record["model"]["fingerprint"]


def test_requests_are_greedy_and_sampling_is_recorded(fault_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    model = _model(fault_server.url, seed="7")
    body = model.request_body(Sample(id="x", kind=TaskKind.VQA, text="ok-a"))
    assert body["temperature"] == 0 and body["max_tokens"] == 3 and body["seed"] == 7
    assert body["messages"][0]["content"][-1]["text"].startswith("ok-a\nAnswer the question")
    info = model.info()
    assert info["sampling"] == {
        k: body[k] for k in ("temperature", "top_p", "n", "max_tokens", "seed")
    }
    assert info["device"] == fault_server.url
    assert model.predict([Sample(id="y", kind=TaskKind.VQA, text="ok-b")]) == ["ok b"]


def test_a_wrong_key_is_not_retried_and_names_the_status(fault_server, monkeypatch):
    monkeypatch.setenv("MY_KEY", "wrong")
    model = _model(fault_server.url, api_key_env="MY_KEY", max_retries="3")
    with pytest.raises(RuntimeError, match="HTTP 401: bad key"):
        model.predict([Sample(id="x", kind=TaskKind.VQA, text="ok-a")])
    assert "ok-a" not in fault_server.attempts  # refused before the script


def test_build_fails_with_one_message_when_nothing_answers(fault_server):
    closed = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there
    with pytest.raises(ModelBuildError, match=r"does not answer http://127.0.0.1:9/v1/models"):
        _model(closed, timeout="2")
    other = ModelContext(model_args={"base_url": fault_server.url})
    with pytest.raises(ModelBuildError, match="does not serve 'other'; it serves: fault"):
        build_model("openai:other", other)


def test_options_are_checked():
    env = {"OPENAI_BASE_URL": "http://h/v1"}
    ctx = ModelContext(model_args={"tempo": "1"})
    with pytest.raises(ModelBuildError, match="no option 'tempo'.*base_url: server URL"):
        build_model("openai:m", ctx)
    with pytest.raises(ModelBuildError, match="concurrency='0': must be >= 1"):
        parse_options("m", {"concurrency": "0"}, env)
    with pytest.raises(ModelBuildError, match="no server URL"):
        parse_options("m", {}, {})
    assert public_url("http://u:p@h:80/v1/?k=s#f") == "http://h:80/v1/"
