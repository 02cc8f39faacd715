"""The model contract and how a ``--model`` string becomes a model.

A model has a ``name``, the ``modalities`` it consumes, ``predict(samples) -> list[str]``
(one text per sample, same order) and optionally ``info()`` (parameters, device, dtype,
checkpoint hash) and ``to(device)``.

``--model`` accepts: a registered name (``prior``), a registered name with an argument
(``constant:yes``), or any importable factory (``pkg.module:make_model``). Third-party
packages register factories in the entry-point group ``mmbench.models``.

>>> from mmbench.tasks import load_task
>>> m = build_model("constant:yes", ModelContext(task=load_task("easyvqa")))
>>> m.predict([None, None])
['yes', 'yes']
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from mmbench.registry import MODELS, UnknownNameError
from mmbench.types import Modality, Sample


@runtime_checkable
class Model(Protocol):
    """What the runner needs from a model."""

    name: str
    modalities: tuple[Modality, ...]

    def predict(self, samples: Sequence[Sample]) -> list[str]: ...


@dataclass(frozen=True)
class ModelContext:
    """What a factory may use to build a model for one task."""

    task: Any = None  # mmbench.tasks.Task
    data_root: Path | None = None
    device: str = "cpu"
    arg: str | None = None


class ModelError(RuntimeError):
    """A model broke the contract (for example returned the wrong number of outputs)."""


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


def fingerprint(model: Any, spec: str) -> str:
    """A stable hash of what decides a model's outputs: its spec, name and ``info()``.

    Predictions are stored per fingerprint, so a changed checkpoint never reuses stale ones.
    """
    info = {k: v for k, v in model_info(model).items() if k not in ("device",)}
    payload = json.dumps({"spec": spec, "name": model.name, "info": info}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _call_factory(factory: Any, ctx: ModelContext) -> Any:
    params = inspect.signature(factory).parameters
    if not params:
        return factory()
    return factory(ctx)


def build_model(spec: str, ctx: ModelContext) -> Any:
    """Turn a ``--model`` string into a model for ``ctx.task``.

    Registered factories take a :class:`ModelContext`; imported factories may take it or
    nothing. Unknown names list the closest registered ones.
    """
    name, _, arg = spec.partition(":")
    if name in MODELS:
        model = _call_factory(
            MODELS.get(name), ModelContext(ctx.task, ctx.data_root, ctx.device, arg or None)
        )
    elif arg:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            if exc.name != name and not name.startswith(f"{exc.name}."):
                raise  # the module exists but one of its own imports failed: show that
            raise UnknownNameError("model", spec, MODELS.names()) from exc
        factory = getattr(module, arg, None)
        if factory is None:
            raise UnknownNameError("model", spec, MODELS.names())
        model = _call_factory(factory, ctx)
    else:
        raise UnknownNameError("model", spec, MODELS.names())
    for attr in ("name", "predict"):
        if not hasattr(model, attr):
            raise ModelError(
                f"model {spec!r} has no {attr!r}: a model needs name, modalities, predict()"
            )
    return model
