"""The Starlette application of ``mmbench serve``: an OpenAI-compatible API over one model.

Routes: ``POST /v1/chat/completions`` (the last user message becomes one sample, see
:mod:`mmbench.chat`; requests arriving together are batched), ``GET /v1/models`` and
``GET /health``. Errors use OpenAI's shape ``{"error": {"message", "type", "code"}}``: a
message that cannot become a sample is 400, a missing API key (when the server has one) 401,
a body over the size limit 413, another model name 404, a sample the model failed on 500.

>>> from starlette.testclient import TestClient
>>> from mmbench.adapters.baselines import Constant
>>> app = create_app(Constant("yes"), max_batch=4)
>>> with TestClient(app) as client:
...     r = client.post("/v1/chat/completions", json={"model": "constant:yes",
...         "messages": [{"role": "user", "content": "Is it red?"}]})
>>> r.json()["choices"][0]["message"]["content"]
'yes'
"""

from __future__ import annotations

import dataclasses
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Mapping
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mmbench.chat import ChatContentError, infer_kind, sample_from_content
from mmbench.serve.batcher import Batcher
from mmbench.types import Modality, Sample, TaskKind

#: Default request-size limit (bytes): a few large images or a minute of float WAV.
MAX_REQUEST_BYTES = 32 * 1024 * 1024


def error(status: int, message: str, kind: str, code: str | None = None) -> JSONResponse:
    """An OpenAI-style error response."""
    return JSONResponse(
        {"error": {"message": message, "type": kind, "code": code or str(status)}}, status
    )


class TooLarge(Exception):
    """The request body is over the limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing (``TooLarge``) as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _user_content(body: Any) -> Any:
    if not isinstance(body, Mapping) or not isinstance(body.get("messages"), list):
        raise ChatContentError("the body must be a JSON object with a 'messages' list")
    users = [m for m in body["messages"] if isinstance(m, Mapping) and m.get("role") == "user"]
    if not users:
        raise ChatContentError("no user message")
    return users[-1].get("content")


def _model_kind(model: Any) -> TaskKind | None:
    try:
        return TaskKind(getattr(model, "kind", None))
    except ValueError:
        return None


def create_app(
    model: Any,
    *,
    task: Any = None,
    max_batch: int = 16,
    wait_s: float = 0.005,
    max_request_bytes: int = MAX_REQUEST_BYTES,
    served_name: str | None = None,
    on_request: Any = None,
    api_key: str | None = None,
) -> Starlette:
    """An ASGI app serving ``model`` (built for ``task``, if any) as ``served_name``.

    ``on_request`` (no arguments) is called on every request: ``mmbench serve`` uses it to
    stop when idle. With an ``api_key``, ``/v1/*`` requests need ``Authorization: Bearer
    <api_key>`` (401 otherwise; ``/health`` stays open).
    """
    from mmbench.runner import predict_batch

    name = served_name or model.name
    kind = task.kind if task is not None else _model_kind(model)
    reads_text = Modality.TEXT in set(getattr(model, "modalities", (Modality.TEXT,)))
    batcher = Batcher(lambda batch: predict_batch(model, batch, False), max_batch, wait_s)
    counter = itertools.count()
    created = int(time.time())

    def to_sample(payload: Any) -> Sample:
        content = _user_content(payload)
        sample = sample_from_content(content, kind or infer_kind(content), f"r{next(counter)}")
        return sample if reads_text else dataclasses.replace(sample, text=None)

    def refused(request: Request) -> JSONResponse | None:
        if on_request is not None:
            on_request()
        if api_key is None:
            return None
        given = request.headers.get("authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {api_key}".encode()):
            return None
        return error(401, "missing or wrong API key", "invalid_request_error", "invalid_api_key")

    async def chat(request: Request) -> JSONResponse:
        if (denied := refused(request)) is not None:
            return denied
        with batcher.arriving():  # a batch being collected waits for this request
            parsed = await _parse(request)
        if isinstance(parsed, JSONResponse):
            return parsed
        pred = await batcher.submit(parsed)
        if not pred.ok:
            return error(500, f"model {model.name!r} failed: {pred.error}", "server_error")
        return JSONResponse(
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": name,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": pred.text},
                        "finish_reason": "stop",
                    }
                ],
            }
        )

    async def _parse(request: Request) -> Sample | JSONResponse:
        """The request's sample, or the error response that refuses it."""
        try:
            body = await read_body(request, max_request_bytes)
        except TooLarge:
            return error(
                413, f"request body over {max_request_bytes} bytes", "invalid_request_error"
            )
        try:
            payload = await run_in_threadpool(json.loads, body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            return error(400, f"the body is not JSON ({exc})", "invalid_request_error")
        asked = payload.get("model") if isinstance(payload, Mapping) else None
        if isinstance(payload, Mapping) and payload.get("stream"):
            return error(400, "stream=true is not supported: ask without streaming",
                         "invalid_request_error")  # fmt: skip
        if asked not in (None, name):
            return error(404, f"model {asked!r} is not served here; this server serves "
                         f"{name!r}", "invalid_request_error", "model_not_found")  # fmt: skip
        try:
            return await run_in_threadpool(to_sample, payload)  # base64 + media decoding
        except ChatContentError as exc:
            return error(400, str(exc), "invalid_request_error")

    async def models(request: Request) -> JSONResponse:
        if (denied := refused(request)) is not None:
            return denied
        entry = {"id": name, "object": "model", "created": created, "owned_by": "mmbench"}
        return JSONResponse({"object": "list", "data": [entry]})

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "model": name,
                "task": getattr(task, "name", None),
                "max_batch": max_batch,
                **batcher.stats.to_json(),
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette):  # -> AsyncIterator[None]
        batcher.start()
        yield
        await batcher.stop()

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
