import pytest
from rapidfuzz.distance import Levenshtein

from mmbench.perturb import Perturbation
from mmbench.perturb.definition import SEVERITIES, definition
from mmbench.perturb.text import KEYBOARD_NEIGHBOURS
from mmbench.registry import PERTURBATIONS

TEXT = [n for n in PERTURBATIONS.names() if n.startswith("text:")]


def at(name: str, severity: int, text: str, sample_id: str = "q1"):
    return Perturbation(name, definition(name).value_at(severity), severity).apply(text, sample_id)


def test_registered():
    assert TEXT == ["text:typo", "text:word_drop"]


@pytest.mark.parametrize("name", TEXT)
def test_deterministic_and_a_string(name, text):
    out = at(name, 3, text)
    assert isinstance(out, str) and out == at(name, 3, text) and out != text
    assert at(name, 3, text, "q1") != at(name, 3, text, "q2")


@pytest.mark.parametrize("name", TEXT)
def test_edit_distance_grows_with_severity(name, text):
    values = [Levenshtein.distance(text, at(name, s, text)) for s in SEVERITIES]
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values


def test_keyboard_neighbours_are_adjacent_keys():
    assert set(KEYBOARD_NEIGHBOURS["g"]) == set("tyfhvb")
    assert "q" not in KEYBOARD_NEIGHBOURS["p"]


def test_word_drop_keeps_order_of_remaining_words(text):
    words = text.split()
    out = at("text:word_drop", 3, text).split()
    it = iter(words)
    assert all(w in it for w in out) and len(out) < len(words)
