"""mmbench: evaluate and benchmark multimodal models.

>>> import mmbench
>>> "easyvqa" in mmbench.list_tasks()
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    from mmbench.api import evaluate, list_models, list_tasks, load_task
    from mmbench.types import Modality, Prediction, Sample, TaskKind

#: public names and their modules, imported on first use so that ``mmbench.cli`` (and
#: ``mmbench score``) start without numpy, yaml and the task machinery
_LAZY = {
    "evaluate": "mmbench.api",
    "list_models": "mmbench.api",
    "list_tasks": "mmbench.api",
    "load_task": "mmbench.api",
    "Modality": "mmbench.types",
    "Prediction": "mmbench.types",
    "Sample": "mmbench.types",
    "TaskKind": "mmbench.types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mmbench' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Modality",
    "Prediction",
    "Sample",
    "TaskKind",
    "__version__",
    "evaluate",
    "list_models",
    "list_tasks",
    "load_task",
]
