"""``openai:<model>``: any OpenAI-compatible chat-completions server as an mmbench model.

vLLM, SGLang, TGI, llama.cpp's server, hosted APIs and ``mmbench serve`` all speak it. Each
sample is one request (see :mod:`mmbench.chat` for the message), sent over a pool of
keep-alive HTTP/1.1 connections by ``concurrency`` threads (httpx). Failed requests are
retried with exponential backoff and jitter on 408/409/429/5xx, timeouts and dropped
connections, honouring ``Retry-After``; a request that still fails is that sample's error.
Greedy decoding (temperature 0); every sampling parameter and the prompts are in ``info()``
and so in the fingerprint. The API key is read from the environment variable named by
``api_key_env`` and is sent only in the ``Authorization`` header: it is never in ``info()``,
results, logs or the fingerprint. The endpoint URL is reported as the model's ``device``
(where it runs), so moving a server to another port keeps the stored predictions; options
that only say how the server is reached (``concurrency``, ``timeout``, ...) do not enter
the fingerprint either.

Model options (``--model-arg KEY=VALUE``):

>>> sorted(MODEL_ARGS)  # doctest: +NORMALIZE_WHITESPACE
['api_key_env', 'base_url', 'concurrency', 'max_retries', 'max_tokens', 'prompt',
 'retry_wait_max', 'seed', 'timeout']
>>> o = parse_options("llava", {"concurrency": "4"}, {"OPENAI_BASE_URL": "http://h:8000/v1/"})
>>> o.base_url, o.concurrency, o.timeout
('http://h:8000/v1', 4, 60.0)
"""

from __future__ import annotations

import email.utils
import os
import random
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mmbench.adapters.base import ModelArg, ModelBuildError, ModelContext, accepts, import_extra
from mmbench.chat import DEFAULT_PROMPTS, default_prompt, user_content
from mmbench.registry import MODELS
from mmbench.types import Modality, Sample

_HOW = {"affects_output": False}  # how the server is reached, not what it answers
MODEL_ARGS: Mapping[str, ModelArg] = {
    # secret: written nowhere as given (user info could hide in it); info() records it
    # without user info and query as the model's device
    "base_url": ModelArg("server URL ending in /v1 [default: $OPENAI_BASE_URL]", secret=True),
    "api_key_env": ModelArg(
        "environment variable holding the API key [default: OPENAI_API_KEY]", **_HOW
    ),
    "concurrency": ModelArg(
        "requests in flight at once [default: 8]; --batch-size should be >= it", **_HOW
    ),
    "timeout": ModelArg("seconds to wait for one response [default: 60]", **_HOW),
    "max_retries": ModelArg("retries of a failed request [default: 4]", **_HOW),
    "retry_wait_max": ModelArg(
        "longest wait between retries, Retry-After included [default: 60 s]", **_HOW
    ),
    "max_tokens": ModelArg("generation limit [default: the task's max_new_tokens, else 256]"),
    "prompt": ModelArg("instruction after the question [default: the task's prompt]"),
    "seed": ModelArg("sampling seed sent to the server [default: none sent]"),
}
#: Status codes worth retrying: timeouts, conflicts, rate limits and server errors.
RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})
_BACKOFF_BASE_S = 0.5


@dataclass(frozen=True)
class OpenAIOptions:
    """The parsed model options of one ``openai:<model>``."""

    model: str
    base_url: str
    api_key_env: str = "OPENAI_API_KEY"
    concurrency: int = 8
    timeout: float = 60.0
    max_retries: int = 4
    retry_wait_max: float = 60.0
    max_tokens: int = 256
    prompt: str | None = None
    seed: int | None = None


def _number(key: str, value: str, kind: type, minimum: float) -> Any:
    try:
        number = kind(value)
    except ValueError:
        raise ModelBuildError(f"--model-arg {key}={value!r}: expected a {kind.__name__}") from None
    if number < minimum:
        raise ModelBuildError(f"--model-arg {key}={value!r}: must be >= {minimum}")
    return number


def parse_options(model: str, args: Mapping[str, str], environ: Mapping[str, str]) -> OpenAIOptions:
    """Validate ``--model-arg`` values (their keys were checked by ``build_model``); a bad
    number or no URL is a :class:`ModelBuildError` meant for the user."""
    if not model:
        raise ModelBuildError("openai needs the served model's name: --model openai:<model>")
    base_url = args.get("base_url") or environ.get("OPENAI_BASE_URL")
    if not base_url:
        raise ModelBuildError(
            f"openai:{model}: no server URL; pass --model-arg base_url=http://HOST:PORT/v1 "
            "or set OPENAI_BASE_URL"
        )
    if urlsplit(base_url).scheme not in ("http", "https"):
        raise ModelBuildError(f"openai:{model}: base_url {base_url!r} is not an http(s) URL")
    ints = {k: _number(k, args[k], int, 0) for k in ("max_retries", "seed") if k in args}
    if "concurrency" in args:
        ints["concurrency"] = _number("concurrency", args["concurrency"], int, 1)
    if "max_tokens" in args:
        ints["max_tokens"] = _number("max_tokens", args["max_tokens"], int, 1)
    floats = {
        k: _number(k, args[k], float, 0.001) for k in ("timeout", "retry_wait_max") if k in args
    }
    return OpenAIOptions(
        model=model,
        base_url=base_url.rstrip("/"),
        api_key_env=args.get("api_key_env", "OPENAI_API_KEY"),
        prompt=args.get("prompt"),
        **ints,
        **floats,
    )


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment (where a secret could hide).

    >>> public_url("https://user:pw@api.example.com/v1?key=s")
    'https://api.example.com/v1'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def retry_after_s(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), if any.

    >>> retry_after_s("2"), retry_after_s(None), retry_after_s("soon")
    (2.0, None, None)
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def backoff_s(attempt: int, cap: float, base: float = _BACKOFF_BASE_S) -> float:
    """Exponential backoff with jitter: uniform in [d/2, d], d = min(cap, base * 2^attempt).

    >>> 0.25 <= backoff_s(0, cap=60) <= 0.5 and backoff_s(30, cap=3) <= 3
    True
    """
    delay = min(cap, base * 2**attempt)
    return delay * (0.5 + random.random() / 2)


class RequestFailed(RuntimeError):
    """A sample's request failed for good (after retries, or on an error not worth retrying)."""


def _error_detail(response: Any) -> str:
    try:
        error = response.json().get("error")
        message = error.get("message") if isinstance(error, Mapping) else error
    except (ValueError, AttributeError):
        message = None
    return str(message or response.text[:200] or response.reason_phrase)


def completion_text(payload: Any) -> str:
    """The text of a chat-completion response body; ``ValueError`` if it is not one.

    >>> completion_text({"choices": [{"message": {"role": "assistant", "content": "red"}}]})
    'red'
    """
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise ValueError(f"not a chat completion: {str(payload)[:200]!r}") from None
    if isinstance(content, list):  # some servers answer with content parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    return content if isinstance(content, str) else ""


class OpenAIChatModel:
    """Client of an OpenAI-compatible ``/chat/completions`` endpoint; one request per sample."""

    modalities: tuple[Modality, ...] = (Modality.IMAGE, Modality.AUDIO, Modality.TEXT)

    def __init__(self, options: OpenAIOptions, api_key: str | None, task_prompt: str | None):
        import httpx

        self.options = options
        self.name = f"openai:{options.model}"
        self.prompt = options.prompt if options.prompt is not None else task_prompt
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=options.base_url,
            headers=headers,
            timeout=httpx.Timeout(options.timeout),
            limits=httpx.Limits(
                max_connections=options.concurrency,
                max_keepalive_connections=options.concurrency,
            ),
        )
        self._pool = ThreadPoolExecutor(options.concurrency, thread_name_prefix="openai")
        self._outcomes: dict[str, str | RequestFailed] = {}
        self._lock = threading.Lock()

    def check_server(self) -> list[str]:
        """The model ids the server lists at ``/models``; ``ModelBuildError`` if it does not answer
        or does not serve this model."""
        import httpx

        where = f"{public_url(self.options.base_url)}/models"
        try:
            response = self._client.get("/models")
        except httpx.HTTPError as exc:
            raise ModelBuildError(
                f"{self.name}: the server does not answer {where} ({type(exc).__name__}: {exc}). "
                "Start it (for example `mmbench serve --model M` or `vllm serve M`), or point "
                "--model-arg base_url=http://HOST:PORT/v1 (or OPENAI_BASE_URL) at it."
            ) from None
        if response.status_code in (401, 403):
            raise ModelBuildError(
                f"{self.name}: {where} answered HTTP {response.status_code} "
                f"({_error_detail(response)}): check the API key in ${self.options.api_key_env}"
            )
        try:
            response.raise_for_status()
            ids = [str(m["id"]) for m in response.json()["data"]]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise ModelBuildError(
                f"{self.name}: {where} did not answer with a model list "
                f"({type(exc).__name__}: {str(exc)[:200]}); is {public_url(self.options.base_url)} "
                "an OpenAI-compatible server?"
            ) from None
        if ids and self.options.model not in ids:
            raise ModelBuildError(
                f"{self.name}: the server at {public_url(self.options.base_url)} does not serve "
                f"{self.options.model!r}; it serves: {', '.join(ids)}"
            )
        return ids

    def request_body(self, sample: Sample) -> dict[str, Any]:
        """The JSON body asking about ``sample`` (greedy decoding)."""
        body: dict[str, Any] = {
            "model": self.options.model,
            "messages": [{"role": "user", "content": user_content(sample, self._prompt(sample))}],
            **self._sampling(),
        }
        return body

    def _prompt(self, sample: Sample) -> str:
        return default_prompt(sample, self.prompt)

    def _sampling(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "temperature": 0.0,
            "top_p": 1.0,
            "n": 1,
            "max_tokens": self.options.max_tokens,
        }
        if self.options.seed is not None:
            out["seed"] = self.options.seed
        return out

    def complete(self, sample: Sample) -> str:
        """One sample's answer, retried as documented; raises :class:`RequestFailed`."""
        import httpx

        body = self.request_body(sample)
        attempts = self.options.max_retries + 1
        for attempt in range(attempts):
            wait = backoff_s(attempt, self.options.retry_wait_max)
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.TimeoutException as exc:
                problem = f"timed out after {self.options.timeout:g} s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__}: {exc})"
            else:
                if response.status_code == 200:
                    try:
                        return completion_text(response.json())
                    except ValueError as exc:
                        raise RequestFailed(f"malformed response from the server: {exc}") from None
                problem = f"HTTP {response.status_code}: {_error_detail(response)}"
                if response.status_code not in RETRY_STATUS:
                    raise RequestFailed(problem)
                told = retry_after_s(response.headers.get("retry-after"))
                if told is not None:
                    wait = min(told, self.options.retry_wait_max)
            if attempt + 1 < attempts:
                time.sleep(wait)
        raise RequestFailed(f"{problem}; gave up after {attempts} attempts")

    def _outcome(self, sample: Sample) -> str | RequestFailed:
        try:
            return self.complete(sample)
        except RequestFailed as exc:
            return exc
        except Exception as exc:  # building the request failed (unreadable media, say)
            return RequestFailed(f"{type(exc).__name__}: {exc}")

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        """Answers in order; ``concurrency`` requests in flight.

        When some requests of a batch failed, it raises; the runner then asks again one
        sample at a time, and gets the answers already received (no second request) or that
        sample's own error.
        """
        with self._lock:
            known = [self._outcomes.pop(s.id) for s in samples if s.id in self._outcomes]
            if len(known) != len(samples):
                self._outcomes.clear()
                known = list(self._pool.map(self._outcome, samples))
            failed = [o for o in known if isinstance(o, RequestFailed)]
            if not failed:
                return [str(o) for o in known]
            if len(samples) == 1:
                raise failed[0]
            self._outcomes = {s.id: o for s, o in zip(samples, known, strict=True)}
            raise RequestFailed(f"{len(failed)} of {len(samples)} requests failed: {failed[0]}")

    def info(self) -> dict[str, Any]:
        """What decides the answers (model, prompts, sampling) and where it ran (``device``)."""
        o = self.options
        prompts = {
            kind: self.prompt if self.prompt is not None else text
            for kind, text in DEFAULT_PROMPTS.items()
        }
        return {
            "parameters": None,
            "api": "openai chat.completions",
            "served_model": o.model,
            "sampling": self._sampling(),
            "prompts": prompts,
            "device": public_url(o.base_url),
        }

    def close(self) -> None:
        """Close the connection pool and the request threads."""
        self._pool.shutdown(wait=False)
        self._client.close()


@MODELS.register("openai")
@accepts(**MODEL_ARGS)
def make_openai(ctx: ModelContext) -> OpenAIChatModel:
    """A model behind an OpenAI-compatible server: `openai:<model>`, options via --model-arg."""
    args = dict(ctx.model_args)
    task = ctx.task
    if task is not None and "max_tokens" not in args and task.defaults.get("max_new_tokens"):
        args["max_tokens"] = str(task.defaults["max_new_tokens"])
    options = parse_options(ctx.arg or "", args, os.environ)
    import_extra("httpx", "openai", f"openai:{options.model}")
    model = OpenAIChatModel(
        options, os.environ.get(options.api_key_env), getattr(task, "prompt", None)
    )
    try:
        model.check_server()
    except ModelBuildError:
        model.close()
        raise
    return model
