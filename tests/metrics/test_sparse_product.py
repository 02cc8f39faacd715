"""The C kernels equal the numpy/scipy path bit for bit, refuse bad input, and CIDEr-D's
bootstrap gives the same numbers and matrices with and without them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from mmbench.metrics import cider, sparse_product
from mmbench.metrics.bootstrap import resample_indices

kernels = pytest.importorskip(
    "mmbench.metrics._sparse", reason="the C extension is not built (no C compiler at install)"
)


def _random_csr(rng: np.random.Generator, rows: int, cols: int, density: float):
    m = sparse.random(rows, cols, density=density, format="csr", dtype=np.float32, rng=rng)
    m.data = rng.standard_normal(m.nnz).astype(np.float32) * 1e3  # rounding shows
    m.indices, m.indptr = m.indices.astype(np.int32), m.indptr.astype(np.int32)
    return m


@pytest.mark.parametrize("b", [1, 7, 8, 31, 32, 33, 64])
def test_products_are_scipys_bit_for_bit(b):
    """``out /= sqrt(a @ x)`` (0 -> 1) equals numpy after scipy's product, bit for bit;
    b = 32 takes the vector path where the CPU has AVX2, the others the plain loop."""
    rng = np.random.default_rng(b)
    a = _random_csr(rng, 300, 500, 0.05)
    a.data = np.abs(a.data)  # squared counts: non-negative
    keep = a.indptr[100]  # rows 100.. empty: their norm 0 counts as 1
    a = sparse.csr_matrix((a.data[:keep], a.indices[:keep], np.minimum(a.indptr, keep)))
    a.indices, a.indptr = a.indices.astype(np.int32), a.indptr.astype(np.int32)
    x = np.abs(rng.standard_normal((500, b))).astype(np.float32)
    out = rng.standard_normal((300, b)).astype(np.float32)
    expected = out.copy()
    norm = np.sqrt(a @ x)
    norm[norm == 0] = 1.0
    expected /= norm
    assert sparse_product.kernel_fits(a, x=x)
    kernels.cider_divide_by_norms(*sparse_product.csr_arrays(a), x, out)
    np.testing.assert_array_equal(out, expected)
    assert not np.array_equal(norm[:100], np.ones_like(norm[:100]))


def test_other_dtypes_do_not_fit_the_kernels():
    rng = np.random.default_rng(0)
    a = _random_csr(rng, 50, 40, 0.1)
    assert sparse_product.kernel_fits(a, x=np.ones((40, 3), np.float32))
    assert not sparse_product.kernel_fits(a.astype(np.float64), x=np.ones((40, 3), np.float32))
    assert not sparse_product.kernel_fits(a, x=np.ones((40, 3)))


def test_out_of_range_input_is_refused_not_read():
    indptr = np.array([0, 2, 3], dtype=np.int32)
    data = np.ones(3, dtype=np.float32)
    x = np.ones((4, 32), dtype=np.float32)
    out = np.empty((2, 32), dtype=np.float32)
    divide = kernels.cider_divide_by_norms
    with pytest.raises(ValueError, match="out of range"):
        divide(indptr, np.array([0, 4, 1], np.int32), data, x, out)
    with pytest.raises(ValueError, match="out of range"):  # indptr past the entries
        divide(np.array([0, 2, 9], np.int32), np.zeros(3, np.int32), data, x, out)
    with pytest.raises(ValueError, match="out of range"):  # a row that starts before 0
        kernels.cider_pooled_cosines(
            np.array([0, 3, -1, 3, 3], np.int32), np.zeros(3, np.int32), data,
            np.array([0, 1], np.int32), np.array([0], np.int32), np.ones(1, np.float32),
            x, np.empty((1, 32), np.float32),
        )  # fmt: skip
    with pytest.raises(ValueError, match="out of range"):  # draw counts past any DF
        kernels.cider_squared_idf(
            np.array([0, 1], np.int32), np.zeros(1, np.int32), np.ones(1, np.float32),
            np.full((4, 32), 9.0, np.float32), np.ones(5, np.float32), np.zeros(2, np.int32),
            np.empty((2, 32), np.float32),
        )  # fmt: skip
    with pytest.raises(ValueError, match="format 'f'"):
        divide(indptr, np.zeros(3, np.int32), data.astype(np.float64), x, out)
    with pytest.raises(ValueError, match="shape"):
        divide(indptr, np.zeros(3, np.int32), data, x, np.empty((3, 32), np.float32))


def _caps(seed: int, n: int = 80):
    from mmbench.metrics._captions import tokenize_captions

    rng = np.random.default_rng(seed)
    words = np.array(["a", "man", "dog", "on", "the", "red", "bus", "is", "riding", "of", "zebra"])

    def caption():
        return " ".join(rng.choice(words, size=rng.integers(1, 10)))

    preds = [caption() for _ in range(n)]
    return tokenize_captions(preds, [[caption() for _ in range(rng.integers(1, 6))] for _ in preds])


@pytest.mark.parametrize("block", [32, 5])
def test_cider_bootstrap_is_the_same_with_and_without_the_kernels(monkeypatch, block):
    caps = _caps(block)
    idx = resample_indices(caps.n, 70, seed=3)
    monkeypatch.setattr(cider, "BLOCK_BYTES", 2 * cider.MAX_BLOCK * 4 * 40)  # several parts
    resampler = cider.cider_resampler(caps, dtype=np.float32)
    assert len(resampler.refs) > 1
    with_kernels = resampler(idx, workers=2, block=block)
    monkeypatch.setattr(sparse_product, "kernels", None)
    assert not sparse_product.kernel_fits(resampler.hyp, x=np.zeros((1, 1), np.float32))
    np.testing.assert_array_equal(resampler(idx, workers=1, block=block), with_kernels)


def test_cider_matrices_are_the_same_built_with_and_without_the_kernels(monkeypatch):
    caps = _caps(7)
    built = cider.cider_resampler(caps, dtype=np.float32)
    monkeypatch.setattr(sparse_product, "kernels", None)
    plain = cider.cider_resampler(caps, dtype=np.float32)
    pairs = [(built.incidence, plain.incidence), (built.hyp, plain.hyp)]
    pairs += list(zip(built.refs + built.pools, plain.refs + plain.pools, strict=True))
    for a, b in pairs:
        for name in ("indptr", "indices", "data"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
            assert getattr(a, name).dtype == getattr(b, name).dtype


def test_scatter_refuses_rows_out_of_range():
    col, value = np.zeros(3, np.int32), np.ones(3, np.float32)
    indices, data = np.empty(3, np.int32), np.empty(3, np.float32)
    indptr = np.array([0, 2, 3], np.int32)
    kernels.csr_scatter(np.array([1, 0, 0]), col, value, indptr, indices, data)  # int64 rows
    with pytest.raises(ValueError, match="out of range"):
        kernels.csr_scatter(np.array([0, 5, 1], np.int32), col, value, indptr, indices, data)
    with pytest.raises(ValueError, match="out of range"):  # row 1 gets more than indptr allows
        kernels.csr_scatter(np.array([1, 1, 0], np.int32), col, value, indptr, indices, data)


def test_draw_counts_count_each_resample_and_refuse_bad_indices():
    idx = np.array([[0, 0, 2], [1, 2, 2]], dtype=np.int64)  # [b, n]
    out = np.empty((3, 2), np.float32)
    kernels.cider_draw_counts(idx, out)
    assert out.tolist() == [[2, 0], [0, 1], [1, 2]]  # [n, b]
    with pytest.raises(ValueError, match="out of range"):
        kernels.cider_draw_counts(
            np.array([[0, 3, 1]], dtype=np.int64), np.empty((3, 1), np.float32)
        )


def test_shared_resampler_is_the_same_with_and_without_the_kernels(monkeypatch):
    """A leaderboard column's models sharing the reference side: the same bits either way."""
    from mmbench.metrics._captions import tokenize_captions

    base = _caps(11, n=40)
    refs = [
        base.strings[base.n + base.ref_start[s] : base.n + base.ref_start[s + 1]] for s in range(40)
    ]
    systems = [base.strings[:40], base.strings[40:80], [r[0] for r in refs]]
    parts = [
        cider.cider_resampler(tokenize_captions(preds, refs), dtype=np.float32) for preds in systems
    ]
    idx = resample_indices(40, 50, seed=8)
    shared = cider.SharedCiderResampler.of(parts)
    with_kernels = shared(idx)
    for part, scores in zip(parts, with_kernels, strict=True):
        np.testing.assert_array_equal(scores, part(idx, workers=1))
    monkeypatch.setattr(sparse_product, "kernels", None)
    for got, expected in zip(shared(idx), with_kernels, strict=True):
        np.testing.assert_array_equal(got, expected)
