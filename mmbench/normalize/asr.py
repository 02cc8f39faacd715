"""Transcript normalizers for WER/CER: presets ``librispeech`` and ``english`` (Whisper's).

``librispeech``: lower-case; apostrophes kept inside words (``don't``), every other
punctuation or symbol becomes a space; whitespace collapsed. LibriSpeech references are
upper-case with in-word apostrophes only, so this aligns model output with them.

``english``: Whisper's ``EnglishTextNormalizer`` (openai/whisper ``whisper/normalizers/
english.py`` + ``english.json``) from the PyPI package ``whisper-normalizer``. Since 0.1.2
that package adds four rewrites that openai/whisper does not have (``kinda``, ``sorta``,
``dunno`` and ``cause`` -> ``because``); they are removed here so the rules are the
original ones. The package version is part of the metric signature.

>>> librispeech("Hello, World! It's 'quoted' -- ok.")
"hello world it's quoted ok"
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from mmbench.registry import NORMALIZERS

#: Rewrites whisper-normalizer adds on top of openai/whisper's EnglishTextNormalizer.
NOT_IN_OPENAI_WHISPER = (r"\bkinda\b", r"\bsorta\b", r"\bdunno\b", r"\bcause\b")

_NON_WORD = re.compile(r"[^\w']+|_")
_STRAY_APOSTROPHE = re.compile(r"(?<!\w)'|'(?!\w)")
_PUNCT = b'!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\x7f' + bytes(range(32))
#: ASCII punctuation, symbols and controls except the apostrophe -> space (ASCII fast path).
_ASCII_PUNCT = bytes.maketrans(_PUNCT, b" " * len(_PUNCT))


@NORMALIZERS.register("librispeech")
def librispeech(text: str) -> str:
    """Lower-case, punctuation to spaces (in-word apostrophes kept), spaces collapsed."""
    text = text.lower()
    if text.isascii():
        text = text.encode("ascii").translate(_ASCII_PUNCT).decode("ascii")
    else:
        text = _NON_WORD.sub(" ", text)
    if "'" in text and (
        " '" in text or "' " in text or "''" in text or text[0] == "'" or text[-1] == "'"
    ):  # an apostrophe not between word characters (cheap test before the regex)
        text = _STRAY_APOSTROPHE.sub(" ", text)
    return " ".join(text.split())


def whisper_normalizer_version() -> str:
    """The installed ``whisper-normalizer`` version, or ``"missing"``."""
    from importlib import metadata  # ~20 ms: not at import time

    try:
        return metadata.version("whisper-normalizer")
    except metadata.PackageNotFoundError:
        return "missing"


@cache
def _whisper_english():  # -> whisper_normalizer.english.EnglishTextNormalizer
    try:
        from whisper_normalizer.english import EnglishTextNormalizer
    except ImportError:
        raise ImportError(
            "the 'english' normalizer needs whisper-normalizer: pip install whisper-normalizer"
        ) from None
    norm = EnglishTextNormalizer()
    for pattern in NOT_IN_OPENAI_WHISPER:
        norm.replacers.pop(pattern, None)
    return norm


@NORMALIZERS.register("english")
@lru_cache(maxsize=1 << 16)
def english(text: str) -> str:
    """Whisper's English text normalizer with openai/whisper's exact rules.

    >>> english("Mr. Smith paid twenty-five dollars, 'cause he's colour-blind")
    'mister smith paid $25 cause he is color blind'
    """
    return _whisper_english()(text)
