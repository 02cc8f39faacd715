"""Trivial presets: ``none`` (identity) and ``lower`` (lower-case, trimmed, spaces collapsed).

>>> lower("  A  Red   Circle ")
'a red circle'
"""

from __future__ import annotations

from mmbench.registry import NORMALIZERS


@NORMALIZERS.register("none")
def identity(text: str) -> str:
    return text


@NORMALIZERS.register("lower")
def lower(text: str) -> str:
    return " ".join(text.lower().split())
