"""mmbench: evaluate and benchmark multimodal models.

>>> import mmbench
>>> "easyvqa" in mmbench.list_tasks()
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from mmbench.api import evaluate, list_models, list_tasks, load_task  # noqa: E402
from mmbench.types import Modality, Prediction, Sample, TaskKind  # noqa: E402

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
