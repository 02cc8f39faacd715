"""The public Python API.

>>> import tempfile
>>> res = evaluate("constant:yes", "easyvqa", out_dir=tempfile.mkdtemp(), limit=4, progress=False)
>>> res.record["task"]["name"]
'easyvqa'
"""

from __future__ import annotations

from typing import Any

from mmbench.registry import MODELS
from mmbench.tasks import list_tasks, load_task


def evaluate(model: str, task: str, **options: Any) -> Any:
    """Run ``model`` (a ``--model`` string) on ``task``; options are :class:`RunConfig` fields."""
    from mmbench.runner import RunConfig, run_task

    return run_task(model, load_task(task), RunConfig(**options))


def list_models() -> list[str]:
    """Registered model names (built-in, and third-party entry points)."""
    return MODELS.names()


__all__ = ["evaluate", "list_models", "list_tasks", "load_task"]
