"""The serve app in-process (Starlette's TestClient): media round trips, errors, batching."""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from mmbench.chat import user_content
from mmbench.types import Modality, Sample, TaskKind

pytest.importorskip("starlette")
from starlette.testclient import TestClient  # noqa: E402

from mmbench.serve.app import create_app  # noqa: E402


class Recorder:
    """Answers the question upper-cased and keeps every sample it was given."""

    name = "recorder"
    kind = "vqa"
    modalities = (Modality.IMAGE, Modality.AUDIO, Modality.TEXT)

    def __init__(self, delay: float = 0.0) -> None:
        self.seen: list[Sample] = []
        self.batches: list[int] = []
        self.delay = delay

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        if any("circle" in (s.text or "") for s in samples):
            raise ValueError("cannot handle circles")
        time.sleep(self.delay)
        self.seen.extend(samples)
        self.batches.append(len(samples))
        return [(s.text or "").upper() for s in samples]


def _ask(client: TestClient, content, model: str = "recorder"):
    return client.post(
        "/v1/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": content}]},
    )


def test_image_and_audio_come_back_bit_exact():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)  # [H, W, 3]
    audio = rng.standard_normal(1600).astype(np.float32)  # [T]
    sample = Sample(id="s", kind=TaskKind.VQA, text="what is it?", image=image, audio=audio)
    model = Recorder()
    with TestClient(create_app(model)) as client:
        r = _ask(client, user_content(sample, "Answer briefly."))
    assert r.status_code == 200
    assert r.json()["choices"][0]["message"]["content"] == "WHAT IS IT?"
    got = model.seen[0]
    assert got.text == "what is it?"  # the instruction line is not part of the question
    np.testing.assert_array_equal(got.image, image)
    np.testing.assert_array_equal(got.audio, audio)


def test_bad_requests_get_openai_style_errors():
    model = Recorder()
    with TestClient(create_app(model, max_request_bytes=2000)) as client:
        too_big = _ask(client, "x" * 5000)
        assert too_big.status_code == 413 and "2000 bytes" in too_big.json()["error"]["message"]
        bad_image = _ask(
            client, [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}]
        )
        assert bad_image.status_code == 400
        assert "not a readable image" in bad_image.json()["error"]["message"]
        remote = _ask(client, [{"type": "image_url", "image_url": {"url": "http://x/y.png"}}])
        assert remote.status_code == 400 and "data URL" in remote.json()["error"]["message"]
        other = _ask(client, "hi", model="gpt-9")
        assert other.status_code == 404 and other.json()["error"]["code"] == "model_not_found"
        streamed = client.post("/v1/chat/completions", json={"messages": [], "stream": True})
        assert streamed.status_code == 400 and "stream" in streamed.json()["error"]["message"]
        not_json = client.post("/v1/chat/completions", content=b"{nope")
        assert not_json.status_code == 400
        models = client.get("/v1/models").json()
        assert [m["id"] for m in models["data"]] == ["recorder"]
    assert model.seen == []  # none of these reached the model


def test_concurrent_requests_are_batched_and_a_failing_one_is_its_own_error():
    model = Recorder(delay=0.05)
    questions = [f"q{i}" for i in range(12)] + ["a circle?"]
    with TestClient(create_app(model, max_batch=8, wait_s=0.02)) as client:
        with ThreadPoolExecutor(13) as pool:
            replies = list(pool.map(lambda q: _ask(client, q), questions))
        health = client.get("/health").json()
    assert [r.status_code for r in replies] == [200] * 12 + [500]
    assert [r.json()["choices"][0]["message"]["content"] for r in replies[:12]] == [
        q.upper() for q in questions[:12]
    ]
    assert "cannot handle circles" in replies[12].json()["error"]["message"]
    assert health["requests"] == 13 and 1 < health["largest_batch"] <= 8
    assert health["batches"] < 13
    assert max(model.batches) <= 8


def test_an_api_key_is_required_when_set_but_health_stays_open():
    with TestClient(create_app(Recorder(), api_key="s3cret")) as client:
        assert _ask(client, "hi").status_code == 401
        wrong = client.get("/v1/models", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
        ok = client.get("/v1/models", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and client.get("/health").status_code == 200
