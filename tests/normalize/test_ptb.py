"""The ``ptb`` preset agrees with the Java PTBTokenizer pycocoevalcap runs."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbench.normalize import get_normalizer
from mmbench.normalize.ptb import ptb, ptb_many, ptb_tokens

CASES = [
    "A man's dog (brown), isn't it?",
    "Dr. Smith paid $5.50 in the U.S. at 5 p.m.",
    "Two dogs -- one brown, one white -- don't play...",
    "A \u201csmart\u201d caf\u00e9 sign: 100% off, 1,000 items!",
    "I'm sure they're gonna eat 2 1/2 pizzas; we cannot.",
    "a well-known 3-year-old x-ray of AT&T's q&a",
    "the [red] {blue} bus \u2014 it's 12/25/2010 \u2026",
    "A. THE END.",
    "",
    "...",
]
EXPECTED = [
    "a man 's dog -lrb- brown -rrb- is n't it",
    "dr. smith paid $ 5.50 in the u.s. at 5 p.m.",
    "two dogs one brown one white do n't play",
]


def test_known_outputs():
    norm = get_normalizer("ptb")
    for text, want in zip(CASES, EXPECTED, strict=False):
        assert norm(text) == want
    assert ptb_tokens("2 1/2 pizzas") == ["2\xa01/2", "pizzas"]


@pytest.mark.skipif(shutil.which("java") is None, reason="java not installed: no reference")
def test_agrees_with_java_ptbtokenizer():
    tok_mod = pytest.importorskip("pycocoevalcap.tokenizer.ptbtokenizer")
    ref = tok_mod.PTBTokenizer().tokenize({i: [{"caption": c}] for i, c in enumerate(CASES)})
    norm = get_normalizer("ptb")
    for i, text in enumerate(CASES):
        assert norm(text) == ref[i][0], text


PIECES = st.sampled_from(
    ["a", "dog", "st", "dr", "www", "cannot", "Mr", "A", "x", " ", "  ", ",", ".", "..", "...",
     "'s", "n't", "5", "1/2", "(", "\u2014", "\xe9", "\n", "\t", "U.S.", "q&a", "-"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(PIECES, max_size=10).map("".join), max_size=30))
def test_batch_form_equals_one_by_one(texts):
    assert ptb_many(texts) == [ptb(t) for t in texts]


def test_batch_form_on_plain_and_edge_captions():
    texts = ["A dog, running.", "a dog,cat ,", " a  man. ", "st.", "go to www..", "a.", ""]
    texts += ["they cannot go.", "an apple..", "Dr. Who's here", "x" * 30 + "."]
    assert ptb_many(texts) == [ptb(t) for t in texts]
    assert ptb_many(texts)[:3] == ["a dog running", "a dog cat", "a man"]
