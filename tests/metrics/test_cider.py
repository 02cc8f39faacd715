"""CIDEr-D bootstrap: the sparse resampler equals scoring each resampled list from scratch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbench.metrics import cider
from mmbench.metrics._captions import tokenize_captions
from mmbench.metrics.bootstrap import resample_indices
from mmbench.metrics.cider import (
    MAX_BLOCK,
    CiderD,
    block_columns,
    cider_resampler,
    cider_scores,
)

WORDS = st.sampled_from(["a", "man", "dog", "on", "the", "red", "bus", "is", "riding", ","])
CAPTION = st.lists(WORDS, min_size=0, max_size=10).map(" ".join)
SAMPLES = st.lists(
    st.tuples(CAPTION, st.lists(CAPTION, min_size=1, max_size=4)), min_size=1, max_size=10
)


def _rescored(caps, idx: np.ndarray) -> np.ndarray:
    """Each resample scored the straightforward way: its samples listed, DF over them."""
    return np.array([cider_scores(caps.select(row)).mean() for row in idx])


@settings(max_examples=30, deadline=None)
@given(samples=SAMPLES, seed=st.integers(0, 1000), n_resamples=st.integers(1, 12))
def test_resampler_equals_recomputing_each_resample(samples, seed, n_resamples):
    caps = tokenize_captions([p for p, _ in samples], [r for _, r in samples])
    idx = resample_indices(caps.n, n_resamples, seed)
    expected = _rescored(caps, idx)
    exact = cider_resampler(caps, dtype=np.float64)
    np.testing.assert_allclose(exact(idx, workers=1), expected, rtol=0, atol=1e-9)
    fast = cider_resampler(caps, dtype=np.float32)
    np.testing.assert_allclose(fast(idx, workers=1), expected, rtol=1e-6, atol=1e-9)
    # blocks of one resample on two threads: the same numbers, in resample order
    np.testing.assert_array_equal(exact(idx, workers=2, block=1), exact(idx, workers=1, block=1))
    np.testing.assert_allclose(exact(idx, block=1), expected, rtol=0, atol=1e-9)


def test_rows_without_shared_ngrams_are_left_out_and_change_nothing():
    preds = ["a red bus", "a dog on the bus", "zebra"]
    refs = [["a red bus on the road", "a man"], ["a dog on a bus"], ["a man is riding"]]
    caps = tokenize_captions(preds, refs)
    r = cider_resampler(caps, dtype=np.float64)
    all_rows = sum(len(x) for x in refs) * 4
    assert r.kept_rows < all_rows  # the "zebra" sample shares nothing: no row kept
    idx = resample_indices(3, 20, seed=5)
    np.testing.assert_allclose(r(idx), _rescored(caps, idx), atol=1e-9)


def test_resample_of_identity_is_the_score():
    m = CiderD()
    stats = m.stats(["a man riding a horse", "a cat"], [["a man on a horse"], ["a cat sits"]])
    got = m.resample(stats, np.array([[0, 1]]))["CIDEr"][0]
    assert got == pytest.approx(m.score(stats)["CIDEr"], rel=1e-6)


def test_block_columns_bounds_the_temporaries():
    assert block_columns(10, 4, budget=1 << 20) == MAX_BLOCK  # small sets: capped
    assert block_columns(10**8, 8, budget=1 << 20) == 4  # huge ones: at least 4 columns
    cols = block_columns(200_000, 4, budget=4 << 20)
    assert cols * 200_000 * 4 <= 4 << 20 < (cols + 1) * 200_000 * 4


def test_scores_do_not_depend_on_blocks_threads_or_parts(monkeypatch):
    """Bit for bit: any block size, any thread count, the kept rows in one part or many."""
    rng = np.random.default_rng(4)
    words = np.array(["a", "man", "dog", "on", "the", "red", "bus", "is", "riding", "of"])

    def caption():
        return " ".join(rng.choice(words, size=rng.integers(1, 9)))

    preds = [caption() for _ in range(60)]
    refs = [[caption() for _ in range(rng.integers(1, 5))] for _ in range(60)]
    caps = tokenize_captions(preds, refs)
    idx = resample_indices(caps.n, 37, seed=9)
    whole = cider_resampler(caps, dtype=np.float32)
    assert len(whole.refs) == 1
    expected = whole(idx, workers=1, block=37)
    for workers, block in [(1, 1), (1, 2), (1, 5), (2, 8), (3, 16), (2, None)]:
        np.testing.assert_array_equal(whole(idx, workers=workers, block=block), expected)
    monkeypatch.setattr(cider, "BLOCK_BYTES", 2 * cider.MAX_BLOCK * 4 * 10)  # ~10 rows a part
    split = cider_resampler(caps, dtype=np.float32)
    assert len(split.refs) > 3 and split.kept_rows == whole.kept_rows
    np.testing.assert_array_equal(split(idx, workers=2, block=4), expected)


def test_distinct_rows_are_exact_even_when_hashes_collide(monkeypatch):
    from scipy import sparse

    rng = np.random.default_rng(1)
    dense = (rng.random((40, 12)) < 0.3).astype(np.float32)
    dense[20:] = dense[:20]  # every row twice
    m = sparse.csr_matrix(dense)
    rows, of = cider._distinct_rows(m)
    np.testing.assert_array_equal(rows.toarray()[of], dense)  # each row recovered exactly
    assert rows.shape[0] == len({r.tobytes() for r in dense})
    # a hash that says every row is the same: the check refuses to merge anything
    monkeypatch.setattr(cider.np, "unique", lambda key, **kw: _all_equal(len(key)))
    rows, of = cider._distinct_rows(m)
    assert rows.shape[0] == 40 and of.tolist() == list(range(40))


def _all_equal(n: int):
    return np.zeros(1, np.uint64), np.zeros(1, np.int64), np.zeros(n, np.int64)


def _random_caps(seed: int, n: int = 60):
    rng = np.random.default_rng(seed)
    words = np.array(["a", "man", "dog", "on", "the", "red", "bus", "is", "riding", "of"])

    def caption():
        return " ".join(rng.choice(words, size=rng.integers(1, 9)))

    preds = [caption() for _ in range(n)]
    return tokenize_captions(preds, [[caption() for _ in range(rng.integers(1, 5))] for _ in preds])


def test_most_used_ngrams_get_the_first_columns():
    r = cider_resampler(_random_caps(2), dtype=np.float32)
    cols = np.concatenate([r.hyp.indices, *(m.indices for m in r.refs)])
    uses = np.bincount(cols, minlength=len(r.gram_set))
    assert uses[0] > uses[-1] and np.all(np.diff(uses) <= 0)


def test_column_numbering_does_not_change_a_bit(monkeypatch):
    """The hot-first numbering relabels columns only: the same sums in the same order."""
    caps = _random_caps(3)
    idx = resample_indices(caps.n, 40, seed=1)
    hot = cider_resampler(caps, dtype=np.float32)(idx, workers=1)

    def first_seen(needed, *_):  # the numbering before: needed n-grams in id order
        return (np.cumsum(needed) - 1).astype(np.int32)

    monkeypatch.setattr(cider, "_hot_first", first_seen)
    plain = cider_resampler(caps, dtype=np.float32)
    uses = np.bincount(plain.hyp.indices, minlength=len(plain.gram_set))
    assert np.any(np.diff(uses) > 0)  # a different numbering indeed
    np.testing.assert_array_equal(plain(idx, workers=1), hot)


def test_part_pools_cover_their_own_prediction_rows(monkeypatch):
    monkeypatch.setattr(cider, "BLOCK_BYTES", 2 * cider.MAX_BLOCK * 4 * 10)  # ~10 rows a part
    r = cider_resampler(_random_caps(5), dtype=np.float32)
    spans = [(r0, r0 + p.shape[0]) for r0, p in zip(r.pool_start, r.pools, strict=True)]
    assert len(spans) > 3 and spans[0][0] >= 0 and spans[-1][1] <= r.n * cider.MAX_N
    assert all(b0 <= a1 for (_, b0), (a1, _) in itertools.pairwise(spans))  # disjoint, in order
    for r0, pool in zip(r.pool_start, r.pools, strict=True):  # each row's sample is in it
        assert pool.shape[0] % cider.MAX_N == 0 and r0 % cider.MAX_N == 0
        assert np.all(np.diff(pool.indptr) >= 0) and pool.nnz == pool.shape[1]


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.integers(0, 2**40), max_size=200))
def test_row_order_is_the_stable_argsort(rows):
    row = np.array(rows, dtype=np.int64)
    expected = np.argsort(row, kind="stable")
    np.testing.assert_array_equal(cider._row_order(row.copy()), expected)
    small = row % 2**31  # int32 ids are copied, not overwritten
    as32 = small.astype(np.int32)
    np.testing.assert_array_equal(cider._row_order(as32), np.argsort(small, kind="stable"))
    np.testing.assert_array_equal(as32, small)


@settings(max_examples=20, deadline=None)
@given(
    samples=SAMPLES,
    other=st.lists(CAPTION, min_size=10, max_size=10),
    seed=st.integers(0, 1000),
    n_resamples=st.integers(1, 40),
)
def test_shared_reference_side_gives_each_systems_own_scores(samples, other, seed, n_resamples):
    """Systems on the same samples (same references, their own predictions and so their own
    vocabularies) scored together share draw counts and document frequencies: bit for bit
    each system's own resampler, and what the bootstrap gives each alone."""
    from mmbench.metrics.bootstrap import bootstrap_scores, bootstrap_scores_many

    refs = [r for _, r in samples]
    systems = [[p for p, _ in samples], other[: len(samples)], [""] * len(samples)]
    caps = [tokenize_captions(preds, refs) for preds in systems]
    idx = resample_indices(len(samples), n_resamples, seed)
    parts = [cider_resampler(c, dtype=np.float32) for c in caps]
    shared = cider.SharedCiderResampler.of(parts)
    assert shared.incidence.shape[0] <= sum(p.incidence.shape[0] for p in parts)
    for together, part in zip(shared(idx), parts, strict=True):
        np.testing.assert_array_equal(together, part(idx, workers=1))
    metric = CiderD()
    stats = [metric.stats(preds, refs) for preds in systems]
    many = bootstrap_scores_many([(metric, s) for s in stats], n_resamples, seed)
    for got, s in zip(many, stats, strict=True):
        np.testing.assert_array_equal(
            got["CIDEr"], bootstrap_scores(metric, s, n_resamples, seed)["CIDEr"]
        )
