"""The C sparse products equal scipy's bit for bit, refuse bad input, and CIDEr-D's bootstrap
gives the same numbers with and without them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from mmbench.metrics import cider, sparse_product
from mmbench.metrics.bootstrap import resample_indices
from mmbench.metrics.sparse_product import csr_dense

kernels = pytest.importorskip(
    "mmbench.metrics._sparse", reason="the C extension is not built (no C compiler at install)"
)


def _random_csr(rng: np.random.Generator, rows: int, cols: int, density: float):
    m = sparse.random(rows, cols, density=density, format="csr", dtype=np.float32, rng=rng)
    m.data = rng.standard_normal(m.nnz).astype(np.float32) * 1e3  # rounding shows
    m.indices, m.indptr = m.indices.astype(np.int32), m.indptr.astype(np.int32)
    return m


@pytest.mark.parametrize("b", [1, 7, 8, 31, 32, 33, 64])
def test_product_is_scipys_bit_for_bit(b):
    """b = 32 takes the vector path where the CPU has AVX2; the others the plain loop."""
    rng = np.random.default_rng(b)
    a = _random_csr(rng, 300, 500, 0.05)
    a.indptr[100:] = a.indptr[100]  # empty rows in the middle, then the rest
    a = sparse.csr_matrix((a.data[: a.indptr[100]], a.indices[: a.indptr[100]], a.indptr))
    a.indices, a.indptr = a.indices.astype(np.int32), a.indptr.astype(np.int32)
    x = rng.standard_normal((500, b)).astype(np.float32)
    assert sparse_product.kernel_fits(a, x=x)
    got = csr_dense(a, x)
    np.testing.assert_array_equal(got, a @ x)
    assert np.any(got[:100] != 0) and not np.any(got[100:])


def test_other_dtypes_take_scipys_product():
    rng = np.random.default_rng(0)
    a = _random_csr(rng, 50, 40, 0.1).astype(np.float64)
    x = rng.standard_normal((40, 3))
    assert not sparse_product.kernel_fits(a, x=x)
    np.testing.assert_array_equal(csr_dense(a, x), a @ x)


def test_out_of_range_input_is_refused_not_read():
    indptr = np.array([0, 2, 3], dtype=np.int32)
    data = np.ones(3, dtype=np.float32)
    x = np.ones((4, 32), dtype=np.float32)
    out = np.empty((2, 32), dtype=np.float32)
    with pytest.raises(ValueError, match="out of range"):
        kernels.csr_matmul(indptr, np.array([0, 4, 1], np.int32), data, x, out)
    with pytest.raises(ValueError, match="out of range"):  # indptr past the entries
        kernels.csr_matmul(np.array([0, 2, 9], np.int32), np.zeros(3, np.int32), data, x, out)
    with pytest.raises(ValueError, match="format 'f'"):
        kernels.csr_matmul(indptr, np.zeros(3, np.int32), data.astype(np.float64), x, out)
    with pytest.raises(ValueError, match="shape"):
        kernels.csr_matmul(indptr, np.zeros(3, np.int32), data, x, np.empty((3, 32), np.float32))


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
