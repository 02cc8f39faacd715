"""Caption metrics: ranges, batched == one-shot, shard merge == whole, CIs, signatures."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbench.metrics._captions import stable_sort, tokenize_captions
from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import confidence_intervals, resample_indices
from mmbench.metrics.rouge import _bits, lcs_lengths

WORDS = st.sampled_from(["a", "man", "dog", "on", "the", "red", "bus", "is", "riding", ","])
CAPTION = st.lists(WORDS, min_size=0, max_size=12).map(" ".join)
SAMPLE = st.tuples(CAPTION, st.lists(CAPTION, min_size=1, max_size=4))
SAMPLES = st.lists(SAMPLE, min_size=1, max_size=12)
NAMES = ("bleu", "rouge_l", "cider")


def _split(samples):
    return [p for p, _ in samples], [r for _, r in samples]


@settings(max_examples=25, deadline=None)
@given(samples=SAMPLES, cut=st.integers(0, 12))
def test_range_batched_and_shards(samples, cut):
    preds, refs = _split(samples)
    cut = min(cut, len(preds))
    for name in NAMES:
        m = get_metric(name)
        whole = m.stats(preds, refs)
        values = m.score(whole)
        for key, v in values.items():
            upper = 10.0 if key == "CIDEr" else 1.0 + 1e-12
            assert 0.0 <= v <= upper, (key, v)
        # two batches (shards) concatenated score exactly like one call
        merged = m.stats(preds[:cut], refs[:cut]) + m.stats(preds[cut:], refs[cut:])
        assert m.score(merged) == pytest.approx(values, abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(samples=SAMPLES, seed=st.integers(0, 100))
def test_resample_equals_scoring_the_resampled_list(samples, seed):
    preds, refs = _split(samples)
    idx = resample_indices(len(preds), 4, seed)
    for name in NAMES:
        m = get_metric(name)
        stats = m.stats(preds, refs)
        fast = m.resample(stats, idx)
        for b, row in enumerate(idx):
            slow = m.score([stats[i] for i in row])
            for key, value in slow.items():
                # CIDEr's bootstrap sums in float32 (RESAMPLE_DTYPE); float64: test_cider.py
                tol = {"rel": 1e-6, "abs": 1e-9} if key == "CIDEr" else {"abs": 1e-9}
                assert fast[key][b] == pytest.approx(value, **tol), (name, key)


def test_ci_contains_point_estimate():
    from mmbench.datasets._synthetic_captions import coco_caption_files

    ann, res = coco_caption_files(60, seed=2)
    refs: dict[int, list[str]] = {}
    for a in ann["annotations"]:
        refs.setdefault(a["image_id"], []).append(a["caption"])
    preds = [r["caption"] for r in res]
    refl = [refs[r["image_id"]] for r in res]
    for name in NAMES:
        m = get_metric(name)
        stats = m.stats(preds, refl)
        values = m.score(stats)
        cis = confidence_intervals(m, stats, n_resamples=200, seed=1)
        assert set(cis) == set(values)
        for key, v in values.items():
            lo, hi = cis[key]
            assert lo < v < hi, (key, lo, v, hi)
        assert cis == confidence_intervals(m, stats, n_resamples=200, seed=1)


def test_signatures_are_pinned():
    v = r"mmbench:\d+\.\d+\.\d+\S*"
    assert re.fullmatch(
        rf"bleu\|tok:ptb-py\|n:4\|ref-len:closest\|smooth:coco\|{v}", get_metric("bleu").signature()
    )
    assert re.fullmatch(
        rf"cider-d\|tok:ptb-py\|n:4\|sigma:6\|df:refs\|{v}", get_metric("cider").signature()
    )
    assert re.fullmatch(
        rf"rouge-l\|tok:ptb-py\|beta:1.2\|refs:max-p-r\|{v}", get_metric("rouge_l").signature()
    )
    assert get_metric("cider", tokenizer="lower").signature().startswith("cider-d|tok:lower|")


def test_bad_input_names_the_sample():
    m = get_metric("bleu")
    with pytest.raises(ValueError, match="sample 1"):
        m.stats(["a", "b"], [["a"], []])
    assert np.isfinite(m.score(m.stats([""], [[""]]))["Bleu_1"])


def test_stable_sort_both_paths_equal_argsort():
    rng = np.random.default_rng(3)
    for high in (50, 2**60):  # packed value sort, then the argsort fallback
        keys = rng.integers(0, high, 5000)
        sorted_keys, order = stable_sort(keys)
        expected = np.argsort(keys, kind="stable")
        assert np.array_equal(order, expected) and np.array_equal(sorted_keys, keys[expected])
        payload = np.sort(rng.choice(10**6, 5000, replace=False))
        assert np.array_equal(stable_sort(keys, payload)[1], payload[expected])


def test_lcs_lengths_match_pycocoevalcap_at_every_width():
    rouge_mod = pytest.importorskip("pycocoevalcap.rouge.rouge")
    rng = np.random.default_rng(5)
    seqs = [rng.integers(0, 4, rng.integers(1, 80)).tolist() for _ in range(300)]
    tokens = np.asarray([t for s in seqs for t in s])
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in seqs])])
    hyp, ref = rng.integers(0, 300, 2000), rng.integers(0, 300, 2000)
    got = lcs_lengths(tokens, offsets, hyp, ref)
    expected = [rouge_mod.my_lcs(seqs[r], seqs[h]) for h, r in zip(hyp, ref, strict=True)]
    assert got.tolist() == expected


def test_match_bits_equal_packbits():
    rng = np.random.default_rng(7)
    for width, dtype in zip(
        (8, 16, 32, 64), (np.uint8, np.uint16, np.uint32, np.uint64), strict=True
    ):
        flags = rng.random((50, 7, width)) < 0.4
        expected = np.packbits(flags, axis=-1, bitorder="little").view(dtype)[..., 0]
        got = _bits(flags, dtype)
        assert got.dtype == dtype and np.array_equal(got, expected), width


def test_ngram_counts_equal_counters_with_repeats():
    from collections import Counter

    rng = np.random.default_rng(11)
    words = ["a", "b", "c"]  # few words: n-grams repeat within and across captions
    preds = [" ".join(rng.choice(words, rng.integers(0, 9))) for _ in range(60)]
    refs = [[" ".join(rng.choice(words, rng.integers(0, 9))) for _ in range(rng.integers(1, 5))]]
    refs += [[" ".join(rng.choice(words, rng.integers(0, 9)))] for _ in range(59)]
    caps = tokenize_captions(preds, refs, tokenizer="ptb")
    n = caps.n

    def grams(text, k):
        t = text.split()
        return Counter(tuple(t[i : i + k]) for i in range(len(t) - k + 1))

    for k, c in enumerate(caps.ngrams, start=1):
        clipped = np.bincount(c.hyp_sample, c.hyp_clipped, minlength=n)
        for s in range(n):
            hyp = grams(caps.strings[s], k)
            ref_counts = [grams(caps.strings[n + r], k) for r in range(*caps.ref_start[s : s + 2])]
            best = Counter()
            for rc in ref_counts:
                best |= rc  # elementwise max
            assert clipped[s] == sum(min(v, best[g]) for g, v in hyp.items()), (k, s)
            for r, rc in zip(range(*caps.ref_start[s : s + 2]), ref_counts, strict=True):
                sel = c.caption == n + r
                assert sorted(c.count[sel].tolist()) == sorted(rc.values())
                assert sorted(
                    zip(c.count[sel].tolist(), c.hyp_count[sel].tolist(), strict=True)
                ) == sorted((v, hyp[g]) for g, v in rc.items())
        # document frequencies: samples whose references hold the n-gram
        df = np.bincount(c.inc_gram, minlength=c.n_grams)
        assert df.sum() == sum(
            len(
                set().union(
                    *(grams(caps.strings[n + r], k) for r in range(*caps.ref_start[s : s + 2]))
                )
            )
            for s in range(n)
        )
