"""Bridges to other libraries: ``torchmetrics`` (imports torch) and Hugging Face ``evaluate``.

Kept outside :mod:`mmbench.metrics` so that scoring never imports torch.

>>> evaluate_module_path("wer").endswith("integrations/evaluate/wer")
True
"""

from __future__ import annotations

from pathlib import Path

#: Metrics shipped as local ``evaluate`` module scripts (load them by path, offline).
EVALUATE_MODULES = ("vqa_accuracy", "wer", "cer")


def evaluate_module_path(name: str) -> str:
    """Folder to pass to ``evaluate.load(...)`` for an mmbench metric, e.g. ``"wer"``."""
    if name not in EVALUATE_MODULES:
        raise ValueError(f"no evaluate module for {name!r}; shipped: {', '.join(EVALUATE_MODULES)}")
    return str(Path(__file__).resolve().parent / "evaluate" / name)
