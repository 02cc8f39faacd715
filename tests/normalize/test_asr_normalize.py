"""Transcript normalizers: librispeech rules and Whisper's English normalizer (openai rules)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbench.normalize import get_normalizer

LIBRISPEECH = [
    ("HELLO, WORLD!", "hello world"),
    ("IT'S 'QUOTED' -- OK.", "it's quoted ok"),
    ("semi;colon:and/slash", "semi colon and slash"),
    ("under_score", "under score"),
    ("  many \t spaces\n", "many spaces"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), LIBRISPEECH)
def test_librispeech(text, expected):
    assert get_normalizer("librispeech")(text) == expected


ENGLISH = [
    # openai/whisper whisper/normalizers/english.py behaviours
    ("Mr. Smith", "mister smith"),  # titles expanded
    ("twenty five dollars", "$25"),  # EnglishNumberNormalizer
    ("the colour of the centre", "the color of the center"),  # english.json spelling map
    ("hello [noise] (laughs) um world", "hello world"),  # brackets, parentheses, fillers
    ("he's gone", "he has gone"),  # perfect tenses
    ("I won't", "i will not"),
    # whisper-normalizer >= 0.1.2 rewrites these; openai/whisper does not
    ("the cause of it", "the cause of it"),
    ("kinda sorta dunno", "kinda sorta dunno"),
]


@pytest.mark.parametrize(("text", "expected"), ENGLISH)
def test_english_follows_openai_rules(text, expected):
    pytest.importorskip("whisper_normalizer")
    assert get_normalizer("english")(text).strip() == expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("abAB09'' .,-_!\x01\té’—")), max_size=16))
def test_librispeech_fast_path_equals_regex_rules(text):
    """The ASCII fast path (bytes.translate) gives what the plain regex rules give."""
    from mmbench.normalize.asr import _NON_WORD, _STRAY_APOSTROPHE

    slow = " ".join(_STRAY_APOSTROPHE.sub(" ", _NON_WORD.sub(" ", text.lower())).split())
    assert get_normalizer("librispeech")(text) == slow
