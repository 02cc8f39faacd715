"""Transcript normalizers: librispeech rules and Whisper's English normalizer (openai rules)."""

import pytest

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
