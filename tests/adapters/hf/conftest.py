"""Tiny Hugging Face checkpoints for the ``hf:`` tests, built once per session (offline)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Callable[[str], Path]:
    """``family -> folder`` of a tiny checkpoint (see ``tests.fixtures.hf_models.BUILDERS``),
    built on first use."""
    from tests.fixtures.hf_models import BUILDERS

    root = tmp_path_factory.mktemp("hf")
    built: dict[str, Path] = {}

    def get(family: str) -> Path:
        if family not in built:
            built[family] = BUILDERS[family](root / family)
        return built[family]

    return get
