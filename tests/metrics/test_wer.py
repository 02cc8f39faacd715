"""WER/CER against jiwer, empty references/hypotheses, normalizer presets, properties."""

import random

import jiwer
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import confidence_intervals
from mmbench.normalize import get_normalizer

WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "away", "it's", "don't"]


def _corpus(n, seed):
    rng = random.Random(seed)
    refs, hyps = [], []
    for _ in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(1, 12))]
        hyp = [w for w in ref if rng.random() > 0.15]
        for _ in range(rng.randint(0, 2)):
            hyp.insert(rng.randint(0, len(hyp)), rng.choice(WORDS))
        hyp = [rng.choice(WORDS) if rng.random() < 0.1 else w for w in hyp]
        refs.append(" ".join(ref))
        hyps.append(" ".join(hyp))
    return refs, hyps


def test_wer_and_counts_equal_jiwer():
    refs, hyps = _corpus(300, 0)
    m = get_metric("wer", normalizer="none")
    stats = m.stats(hyps, refs)
    out = jiwer.process_words(refs, hyps)
    assert m.score(stats)["wer"] == pytest.approx(out.wer, abs=1e-12)
    assert m.extras(stats) == {
        "substitutions": out.substitutions,
        "deletions": out.deletions,
        "insertions": out.insertions,
        "hits": out.hits,
    }


def test_cer_equals_jiwer():
    refs, hyps = _corpus(200, 1)
    m = get_metric("cer", normalizer="none")
    assert m.score(m.stats(hyps, refs))["cer"] == pytest.approx(jiwer.cer(refs, hyps), abs=1e-12)


def test_normalized_wer_equals_jiwer_on_normalized_text():
    refs = ["HELLO, WORLD!", "IT'S A 'TEST' -- OK", "MR. SMITH'S DOG"]
    hyps = ["hello world", "it's a test ok", "mister smith's dog"]
    norm = get_normalizer("librispeech")
    m = get_metric("wer", normalizer="librispeech")
    expected = jiwer.wer([norm(r) for r in refs], [norm(h) for h in hyps])
    assert m.score(m.stats(hyps, refs))["wer"] == pytest.approx(expected, abs=1e-12)
    assert expected > 0  # "mr" vs "mister" stays an error under librispeech rules


def test_empty_hypothesis_deletes_every_reference_word():
    m = get_metric("wer")
    stats = m.stats(["", "   "], ["ONE TWO THREE", "FOUR"])
    assert stats == [(0, 3, 0, 0), (0, 1, 0, 0)]
    assert m.score(stats)["wer"] == 1.0


def test_empty_references():
    m = get_metric("wer")
    # an empty reference adds insertions and nothing to the denominator
    stats = m.stats(["a b", "x y"], ["A B", ""])
    assert stats[1] == (0, 0, 2, 0)
    assert m.score(stats)["wer"] == 1.0  # 2 insertions / 2 reference words
    # empty reference and empty hypothesis: nothing at all
    assert m.stats([""], [""]) == [(0, 0, 0, 0)]
    assert m.score(m.stats([""], [""]))["wer"] == 0.0
    # no reference words anywhere: denominator clamped to 1, never silently 0
    assert m.score(m.stats(["spurious words"], [""]))["wer"] == 2.0


def test_one_reference_per_sample():
    with pytest.raises(ValueError, match="exactly one reference"):
        get_metric("wer").stats(["a"], [["A", "B"]])


def test_signatures():
    assert (
        get_metric("wer")
        .signature()
        .startswith("wer|norm:librispeech|unit:word|agg:corpus|jiwer:4")
    )
    sig = get_metric("wer", normalizer="english").signature()
    assert sig.startswith("wer|norm:english(whisper-normalizer 0.1.")
    assert get_metric("cer", normalizer="none").signature().startswith("cer|norm:none|unit:char|")


text = st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(text, min_size=1, max_size=6))
def test_wer_of_identical_text_is_zero(texts):
    for name in ("wer", "cer"):
        m = get_metric(name, normalizer="none")
        assert m.score(m.stats(texts, texts))[name] == 0.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(text, text), min_size=1, max_size=12), st.integers(1, 11))
def test_batched_equals_one_shot_and_shards_merge(pairs, cut):
    hyps, refs = [p[0] for p in pairs], [p[1] for p in pairs]
    m = get_metric("wer", normalizer="none")
    whole = m.stats(hyps, refs)
    cut = min(cut, len(pairs))
    shards = m.stats(hyps[:cut], refs[:cut]) + m.stats(hyps[cut:], refs[cut:])
    assert shards == whole
    assert m.score(shards) == m.score(whole)
    wer = m.score(whole)["wer"]
    assert wer >= 0.0
    ci = confidence_intervals(m, whole, n_resamples=50)
    assert ci["wer"][0] >= 0.0


def test_ci_contains_point_estimate():
    refs, hyps = _corpus(400, 3)
    m = get_metric("wer", normalizer="none")
    stats = m.stats(hyps, refs)
    lo, hi = confidence_intervals(m, stats, n_resamples=300)["wer"]
    assert lo < m.score(stats)["wer"] < hi


@pytest.mark.parametrize("name", ["wer", "cer"])
def test_systems_resampled_together_equal_each_alone(name):
    """``resampler_many`` (a leaderboard column) gives each system's ``resample`` bit for bit,
    and the exact float64 product the same integers as int64 (also past 2^53 / n, where it
    falls back to int64)."""
    import numpy as np

    from mmbench.metrics.wer import _resampled_totals

    m = get_metric(name, normalizer="none")
    refs, _ = _corpus(120, 4)
    systems = [m.stats(_corpus(120, 10 + k)[1], refs) for k in range(3)]
    idx = np.random.default_rng(1).integers(0, 120, size=(37, 120))
    together = m.resampler_many(systems)(idx)
    for stats, found in zip(systems, together, strict=True):
        assert np.array_equal(found[name], m.resample(stats, idx)[name])
    counts = np.asarray(systems[0], dtype=np.int64).reshape(-1, 4)
    drawn = np.stack([np.bincount(row, minlength=120) for row in idx])
    assert np.array_equal(_resampled_totals(idx, counts), drawn @ counts)
    huge = counts * 2**50  # n * max >= 2^53: the int64 product
    assert np.array_equal(_resampled_totals(idx, huge), drawn @ huge)
