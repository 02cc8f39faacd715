"""The model contract and how a ``--model`` string becomes a model.

A model has a ``name``, the ``modalities`` it consumes, ``predict(samples) -> list[str]``
(one text per sample, same order) and optionally ``info()`` (parameters, device, dtype,
checkpoint hash) and ``to(device)``.

``--model`` accepts: a registered name (``prior``), a registered name with an argument
(``constant:yes``), or any importable factory (``pkg.module:make_model``). Third-party
packages register factories in the entry-point group ``mmbench.models``.

**Model options** (``--model-arg KEY=VALUE``, repeatable) reach the factory as
``ctx.model_args`` (a read-only ``{key: value}`` of strings). A factory declares the keys it
accepts in a ``MODEL_ARGS`` attribute, ``{key: ModelArg(help, secret=False,
affects_output=True)}`` (a class used as a factory declares it as a class attribute; the
:func:`accepts` decorator sets it on a function). A key the factory does not declare is
refused with the allowed list, before the factory runs. Keys that affect outputs enter the
model fingerprint (so a changed option never reuses stale predictions) and the results
record; ``secret=True`` keys (API keys) enter neither; ``affects_output=False`` keys
(timeouts, concurrency) are recorded but not fingerprinted.

A factory that cannot build its model (no weights for the task, a missing extra, a bad
option) raises :class:`ModelBuildError`, one message naming the model and the fix; the
CLI prints it without a traceback and exits with status 2. ``build_model`` turns an
``ImportError``, ``OSError`` or ``ValueError`` from a factory into one as well.

>>> from mmbench.tasks import load_task
>>> m = build_model("constant:yes", ModelContext(task=load_task("easyvqa")))
>>> m.predict([None, None])
['yes', 'yes']
>>> parse_model_args(["beam=1e-20", "lm=/tmp/a=b.lm"])
{'beam': '1e-20', 'lm': '/tmp/a=b.lm'}
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import inspect
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any, Protocol, TypeVar, runtime_checkable

from mmbench.registry import MODELS, UnknownNameError
from mmbench.types import Modality, Sample

F = TypeVar("F", bound=Callable[..., Any])
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


@runtime_checkable
class Model(Protocol):
    """What the runner needs from a model."""

    name: str
    modalities: tuple[Modality, ...]

    def predict(self, samples: Sequence[Sample]) -> list[str]: ...


@dataclass(frozen=True)
class ModelContext:
    """What a factory may use to build a model for one task.

    ``arg``: the ``ARG`` of ``--model name:ARG``; ``model_args``: the ``--model-arg KEY=VALUE``
    options (read-only; only keys the factory declares in ``MODEL_ARGS`` get here).

    >>> ModelContext(model_args={"beam": "4"}).model_args["beam"]
    '4'
    """

    task: Any = None  # mmbench.tasks.Task
    data_root: Path | None = None
    device: str = "cpu"
    arg: str | None = None
    model_args: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "model_args", MappingProxyType(dict(self.model_args)))

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "model_args": dict(self.model_args)}  # a mappingproxy won't pickle

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, model_args=MappingProxyType(state["model_args"]))


@dataclass(frozen=True)
class ModelArg:
    """One ``--model-arg`` key a factory accepts.

    ``secret``: never recorded nor fingerprinted (API keys). ``affects_output``: the value can
    change predictions, so it enters the fingerprint (``False`` for timeouts, concurrency).
    """

    help: str
    secret: bool = False
    affects_output: bool = True


class ModelError(RuntimeError):
    """A model broke the contract (for example returned the wrong number of outputs)."""


class ModelBuildError(Exception):
    """A model cannot be built (no weights for the task, missing extra, bad ``--model-arg``);
    the message names the model and the fix."""


def accepts(**args: ModelArg) -> Callable[[F], F]:
    """Decorator declaring a factory's ``--model-arg`` keys (sets ``factory.MODEL_ARGS``).

    >>> @accepts(beam=ModelArg("beam width"))
    ... def make(ctx): ...
    >>> sorted(make.MODEL_ARGS)
    ['beam']
    """

    def declare(factory: F) -> F:
        factory.MODEL_ARGS = dict(args)  # type: ignore[attr-defined]
        return factory

    return declare


def parse_model_args(items: Iterable[str]) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` -> ``{KEY: VALUE}``; malformed items and repeated keys are refused.

    The value is everything after the first ``=`` and may be empty.
    """
    out: dict[str, str] = {}
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not _KEY.fullmatch(key):
            raise ModelBuildError(
                f"--model-arg {item!r} is not KEY=VALUE (KEY: letters, digits, _ . -), "
                "e.g. --model-arg beam=1e-40"
            )
        if key in out:
            raise ModelBuildError(f"--model-arg {key!r} is given twice")
        out[key] = value
    return out


def model_info(model: Any) -> dict[str, Any]:
    """``model.info()`` if the model has it, else ``{}``; always JSON-serializable."""
    info = model.info() if hasattr(model, "info") else {}
    return json.loads(json.dumps(info, default=str))


def required_modalities(model: Any) -> set[Modality]:
    """Modalities ``model`` cannot do without: its ``required_modalities`` if it declares them,
    else all its ``modalities`` (a model opts in to receiving ``None`` for a missing one).

    >>> from mmbench.adapters.baselines import Echo
    >>> required_modalities(Echo())
    set()
    """
    declared = getattr(model, "required_modalities", None)
    if declared is None:
        declared = getattr(model, "modalities", ())
    return {Modality(m) for m in declared}


def _resolve(spec: str) -> tuple[Any, bool, str | None]:
    """``spec`` -> (factory, registered?, the ``name:ARG`` argument of a registered name)."""
    name, _, arg = spec.partition(":")
    if name in MODELS:
        return MODELS.get(name), True, arg or None
    if not arg:
        raise UnknownNameError("model", spec, MODELS.names())
    try:
        module: ModuleType = importlib.import_module(name)
    except ImportError as exc:
        if exc.name != name and not name.startswith(f"{exc.name}."):
            raise  # the module exists but one of its own imports failed: show that
        raise UnknownNameError("model", spec, MODELS.names()) from exc
    factory = getattr(module, arg, None)
    if factory is None:
        raise UnknownNameError("model", spec, MODELS.names())
    return factory, False, None


def declared_args(spec: str) -> Mapping[str, ModelArg]:
    """The ``--model-arg`` keys the factory behind ``spec`` accepts (``{}``: none).

    >>> sorted(declared_args("constant:yes"))
    []
    """
    return dict(getattr(_resolve(spec)[0], "MODEL_ARGS", None) or {})


def check_model_args(spec: str, model_args: Mapping[str, str]) -> None:
    """Refuse keys the factory behind ``spec`` does not declare, listing the allowed ones."""
    declared = declared_args(spec)
    for key in model_args:
        if key in declared:
            continue
        if not declared:
            raise ModelBuildError(f"model {spec!r} takes no --model-arg (got {key!r})")
        close = difflib.get_close_matches(key, list(declared), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        allowed = "; ".join(f"{k}: {a.help}" for k, a in sorted(declared.items()))
        raise ModelBuildError(
            f"model {spec!r} has no option {key!r}.{hint} Its --model-arg keys: {allowed}"
        )


def recorded_args(spec: str, model_args: Mapping[str, str]) -> dict[str, str]:
    """The options written to results: every declared key but the secret ones."""
    if not model_args:
        return {}  # no lookup: a prebuilt model may come with any spec
    declared = declared_args(spec)
    return {k: v for k, v in sorted(model_args.items()) if k in declared and not declared[k].secret}


def fingerprint(model: Any, spec: str, model_args: Mapping[str, str] | None = None) -> str:
    """A stable hash of what decides a model's outputs: its spec, name, ``info()`` and the
    ``--model-arg`` options that affect outputs (never secret ones).

    Predictions are stored per fingerprint, so a changed checkpoint never reuses stale ones.
    """
    info = {k: v for k, v in model_info(model).items() if k not in ("device",)}
    content: dict[str, Any] = {"spec": spec, "name": model.name, "info": info}
    if model_args:
        declared = declared_args(spec)
        args = {
            k: v
            for k, v in model_args.items()
            if k in declared and declared[k].affects_output and not declared[k].secret
        }
        if args:  # no options: the fingerprint of earlier versions, so their runs resume
            content["args"] = args
    payload = json.dumps(content, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def import_extra(module: str, extra: str, model: str) -> ModuleType:
    """Import ``module``, or fail with :class:`ModelBuildError` naming the extra to install.

    >>> import_extra("json", "none", "demo").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ModelBuildError(
            f'model {model!r} needs the Python package {module!r}: pip install "mmbench[{extra}]"'
        ) from exc


def _call_factory(factory: Any, ctx: ModelContext) -> Any:
    params = inspect.signature(factory).parameters
    if not params:
        return factory()
    return factory(ctx)


def build_model(spec: str, ctx: ModelContext) -> Any:
    """Turn a ``--model`` string into a model for ``ctx.task``.

    Registered factories take a :class:`ModelContext`; imported factories may take it or
    nothing. Unknown names list the closest registered ones; unknown ``ctx.model_args`` keys
    and factory failures raise :class:`ModelBuildError`.
    """
    factory, registered, arg = _resolve(spec)
    check_model_args(spec, ctx.model_args)
    if registered:
        ctx = ModelContext(ctx.task, ctx.data_root, ctx.device, arg, ctx.model_args)
    try:
        model = _call_factory(factory, ctx)
    except ModelBuildError:
        raise
    except ImportError as exc:
        raise ModelBuildError(
            f"cannot build model {spec!r}: the Python package {exc.name or exc} is missing; "
            "install it (or the mmbench extra that provides it)"
        ) from exc
    except (OSError, ValueError) as exc:
        task = f" for task {ctx.task.name}" if getattr(ctx.task, "name", None) else ""
        raise ModelBuildError(f"cannot build model {spec!r}{task}: {exc}") from exc
    for attr in ("name", "predict"):
        if not hasattr(model, attr):
            raise ModelError(
                f"model {spec!r} has no {attr!r}: a model needs name, modalities, predict()"
            )
    return model
