"""Text normalizers as named presets (one module per family).

Each preset is a callable ``str -> str`` registered in ``NORMALIZERS``; metrics record the
preset name (and the library version behind it) in their signatures.

>>> from mmbench.normalize import get_normalizer
>>> get_normalizer("none")("Keep As Is")
'Keep As Is'
"""

from __future__ import annotations

from collections.abc import Callable

from mmbench.registry import NORMALIZERS

Normalizer = Callable[[str], str]


def get_normalizer(name: str) -> Normalizer:
    """The normalizer registered as ``name`` (e.g. ``"vqa"``, ``"ptb"``, ``"english"``)."""
    return NORMALIZERS.get(name)
