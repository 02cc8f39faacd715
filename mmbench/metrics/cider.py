"""CIDEr-D exactly as pycocoevalcap's ``CiderScorer`` (COCO caption evaluation).

TF-IDF vectors of 1..4-grams, with document frequencies counted over the references of the
evaluated samples (a sample drawn twice counts twice, as if listed twice); per n-gram order
the cosine of the prediction with each reference, clipped (``min(hyp, ref) * ref``), times
a Gaussian penalty on the length difference (sigma 6; pycocoevalcap measures length as the
number of bigrams); mean over orders, mean over references, x10; mean over samples.

Because document frequencies depend on which samples are scored, a sample's statistic is
its tokens (a :class:`~mmbench.metrics._captions.CaptionRef`), and ``score`` recomputes
everything for the given subset. :meth:`CiderD.resample` scores many bootstrap resamples
at once: every quantity is linear in the squared IDF of each n-gram, so a resample only
recomputes document frequencies and a few weighted sums.

>>> m = CiderD()
>>> st = m.stats(["a man riding a horse", "a cat on a mat"],
...              [["a man rides a horse", "a man on a horse"], ["a cat sits on a mat"]])
>>> round(m.score(st)["CIDEr"], 6)
3.674465
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np

from mmbench.metrics import sparse_product
from mmbench.metrics._captions import (
    MAX_N,
    CaptionRef,
    Captions,
    caption_tokens,
    gather,
    resample_weights,
    tokenize_captions,
    tokenized_captions,
)
from mmbench.metrics.base import Metric, versioned
from mmbench.metrics.bootstrap import usable_cpus
from mmbench.metrics.sparse_product import VECTOR_WIDTH, csr_arrays, kernel_fits
from mmbench.registry import METRICS

SIGMA = 6.0


def _penalty(caps: Captions, sigma: float) -> np.ndarray:
    """float64 [R]: Gaussian penalty on the length difference of each reference."""
    bigrams = np.maximum(caps.lengths - 1, 0)  # pycocoevalcap's "length" counts bigrams
    delta = (bigrams[: caps.n][caps.ref_sample()] - bigrams[caps.n :]).astype(np.float64)
    return np.e ** (-(delta**2) / (2 * sigma**2))


def cider_scores(caps: Captions, sigma: float = SIGMA) -> np.ndarray:
    """float64 [n]: CIDEr-D of each sample, document frequencies over ``caps``' references."""
    n, n_ref = caps.n, len(caps.offsets) - 1 - caps.n
    if n == 0:
        return np.zeros(0)
    n_caps = n + n_ref
    norm2, dot = np.zeros((n_caps, MAX_N)), np.zeros((n_caps, MAX_N))  # [C, 4]
    for k, c in enumerate(caps.ngrams):  # each order has its own n-grams and DF
        df = np.bincount(c.inc_gram, minlength=c.n_grams)
        u = (np.log(float(n)) - np.log(np.maximum(1.0, df))) ** 2  # [G] idf squared
        w = c.count * u[c.gram]  # [E]
        norm2[:, k] = np.bincount(c.caption, c.count * w, n_caps)
        # clipped products with the prediction (0 in its own entries and where it lacks one)
        dot[:, k] = np.bincount(c.caption, np.minimum(c.hyp_count, c.count) * w, n_caps)
    hn2, rn2, num = norm2[:n], norm2[n:], dot[n:]
    denom = np.sqrt(hn2)[caps.ref_sample()] * np.sqrt(rn2)  # [R, 4]
    with np.errstate(divide="ignore", invalid="ignore"):
        val = np.where(denom != 0, num / denom, num)
    per_ref = (val * _penalty(caps, sigma)[:, None]).mean(axis=1)  # [R] mean over orders
    summed = np.add.reduceat(per_ref, caps.ref_start[:-1])  # [n]
    return summed / caps.n_refs * 10.0


#: Precision of the bootstrap's squared IDFs and per-row sums: float32 halves the memory
#: traffic of the sparse products; each resample's score then differs from the float64
#: recomputation by ~1e-7 relative (tested to 1e-6), far below a CI's width.
RESAMPLE_DTYPE = np.float32
#: Resamples per block at most. scipy's sparse-dense product pays a fixed cost per
#: non-zero, then loops over the block's columns: 32 columns cost ~1.4x less per resample
#: than 9.
MAX_BLOCK = 32
#: Bytes of one temporary of a block (``[rows, block]`` sums) at most. Below glibc's
#: largest mmap threshold (32 MiB), the allocator reuses freed blocks instead of mapping
#: (and page-faulting) fresh memory for every product.
BLOCK_BYTES = 24 << 20


@dataclass(frozen=True)
class CiderResampler:
    """Corpus CIDEr-D of bootstrap resamples, document frequencies recomputed in each.

    A resample is its draw counts ``w`` [n]: document frequencies become ``w``-weighted
    counts (``DF = incidence @ w``), ``log(n)`` stays (a resample has n samples) and the
    per-sample scores are averaged with weights ``w``: the same arithmetic as scoring the
    resampled list. Every squared norm and clipped dot product is a sparse matrix times
    the squared IDFs, so a block of resamples goes through one sparse-dense product. Only
    (reference, order) rows sharing an n-gram with their prediction enter (the others
    add a zero cosine). The K kept rows are split into parts whose sums ``[2 K_p, block]``
    fit :data:`BLOCK_BYTES`. N-grams found in the references of exactly the same samples
    have the same document frequency in every resample, so ``incidence`` holds each
    distinct set of samples once (a quarter fewer non-zeros on generated COCO-style sets).
    """

    n: int
    incidence: Any  # csr [D, n]: distinct sets of samples whose references hold an n-gram
    gram_set: np.ndarray  # int32 [G]: the row of incidence of each n-gram
    hyp: Any  # csr [n*4, G]: squared counts of each prediction's n-grams (row sample*4+order)
    # per part of the kept reference rows: csr [2 K_p, G], their squared counts then their
    # clipped products; csr [P_p, K_p], each row's length penalty into its sample's row
    # among the part's P_p rows of predictions (sample*4 + order), which start at pool_start
    refs: tuple[Any, ...]
    pools: tuple[Any, ...]
    pool_start: tuple[int, ...]
    idf2: np.ndarray  # [n + 1] squared IDF by document frequency
    scale: np.ndarray  # float64 [n]: mean over orders, references and samples, x10

    @property
    def kept_rows(self) -> int:
        """K: the (reference, order) rows that share an n-gram with their prediction."""
        return sum(p.shape[1] for p in self.pools)

    def __call__(
        self, idx: np.ndarray, workers: int | None = None, block: int | None = None
    ) -> np.ndarray:
        """float64 [B]: corpus CIDEr-D of each resample ``idx`` [B, n].

        Blocks of at most ``block`` resamples (default: :func:`block_columns`; the rows
        split evenly) run on ``workers`` threads (default: the CPUs this process may use);
        scipy and numpy release the GIL in the products. A resample's score is the same
        for any ``block`` and ``workers``.
        """
        block = _even_block(len(idx), block or self.block_size())
        starts = range(0, len(idx), block)
        workers = min(workers or usable_cpus(), len(starts))

        def scored(b0: int) -> np.ndarray:
            return self._block(idx[b0 : b0 + block])

        if workers <= 1:
            parts = [scored(b0) for b0 in starts]
        else:
            with ThreadPoolExecutor(workers) as pool:
                parts = list(pool.map(scored, starts))
        return np.concatenate(parts) if parts else np.zeros(0)

    def block_size(self) -> int:
        """Resamples per block by default (:func:`block_columns` of the widest temporary)."""
        rows = max(self.hyp.shape[0], len(self.gram_set))
        return block_columns(rows, self.idf2.dtype.itemsize)

    def _block(self, idx: np.ndarray) -> np.ndarray:
        """float64 [b]: the scores of the resamples ``idx`` [b, n]."""
        w = _draw_counts(idx, self.n, self.idf2.dtype)
        return self._scored(w, _squared_idf(self.incidence, w, self.idf2, self.gram_set))

    def _scored(self, w: np.ndarray, u: np.ndarray) -> np.ndarray:
        """float64 [b]: the scores of a block of resamples from their draw counts ``w``
        [n, b] and the squared IDFs ``u`` [G, b] of every n-gram in each."""
        n, b = self.n, w.shape[1]
        cos = np.zeros((n * MAX_N, b), dtype=self.idf2.dtype)  # [n*4, b]
        for ref, pool, r0 in zip(self.refs, self.pools, self.pool_start, strict=True):
            # summed over references; the parts' rows are disjoint (a sample is in one part)
            _pooled_cosines(ref, pool, u, cos[r0 : r0 + pool.shape[0]])
        _divide_by_norms(self.hyp, u, cos)  # by the prediction norms
        del u
        kernels = sparse_product.kernels
        if kernels is not None and w.dtype == cos.dtype == np.float32:  # one pass, same ops
            weighted = np.empty((b, n))
            kernels.cider_weighted_scores(cos, w, self.scale, weighted)
            return weighted.sum(axis=1)
        per_sample = cos.reshape(n, MAX_N, -1).sum(axis=1, dtype=np.float64)  # [n, b]
        del cos
        per_sample *= w
        weighted = np.ascontiguousarray(per_sample.T)  # [b, n]
        weighted *= self.scale
        return weighted.sum(axis=1)  # [b] pairwise sums: the same numbers for any block


def _pooled_cosines(ref: Any, pool: Any, u: np.ndarray, out: np.ndarray) -> None:
    """``out`` [P, b] = ``pool`` @ (products / norms): ``ref`` [2 K, G] holds K rows of
    squared counts (whose ``@ u`` are squared norms) then K rows of clipped products, ``pool``
    [P, K] each row's length penalty into its prediction's row; a norm of 0 counts as 1 (a
    zero vector has zero products). The C kernel when built (no [2 K, b] temporary), else
    scipy and numpy: the same float32 operations in the same order, the same bits."""
    if kernel_fits(ref, pool, x=u):
        sparse_product.kernels.cider_pooled_cosines(*csr_arrays(ref), *csr_arrays(pool), u, out)
        return
    k = pool.shape[1]
    rr = ref @ u  # [2 K, b]
    rn = np.sqrt(rr[:k], out=rr[:k])  # [K, b] reference norms
    rn[rn == 0] = 1.0
    out[...] = pool @ np.divide(rr[k:], rn, out=rr[k:])


def _divide_by_norms(hyp: Any, u: np.ndarray, out: np.ndarray) -> None:
    """``out`` [P, b] /= sqrt(``hyp`` @ ``u``) (the prediction norms; 0 counts as 1), by
    the C kernel when built, else scipy and numpy (the same bits)."""
    if kernel_fits(hyp, x=u):
        sparse_product.kernels.cider_divide_by_norms(*csr_arrays(hyp), u, out)
        return
    hn = hyp @ u  # [P, b] squared norms
    hn = np.sqrt(hn, out=hn)
    hn[hn == 0] = 1.0
    out /= hn


def _even_block(b: int, most: int) -> int:
    """Resamples per block when ``b`` are split into blocks of at most ``most``: as even as
    possible, rounded up to a multiple of 8 (the C kernels' vector width) below ``most``.

    >>> _even_block(33, 32), _even_block(100, 32), _even_block(1000, 32), _even_block(5, 32)
    (24, 32, 32, 8)
    """
    even = math.ceil(b / max(1, math.ceil(b / most)))
    return min(most, VECTOR_WIDTH * math.ceil(even / VECTOR_WIDTH))


def _draw_counts(idx: np.ndarray, n: int, dtype: Any) -> np.ndarray:
    """[n, b]: how often each sample is drawn in each resample ``idx`` [b, n]: float32 from
    the C kernel where it is built and ``dtype`` is float32, else float64 (numpy)."""
    kernels = sparse_product.kernels
    if kernels is not None and dtype == np.float32:
        w = np.empty((n, len(idx)), dtype=np.float32)
        kernels.cider_draw_counts(np.ascontiguousarray(idx, dtype=np.int64), w)
        return w
    return np.ascontiguousarray(resample_weights(idx, n).T)


def _squared_idf(incidence: Any, w: np.ndarray, idf2: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """[len(rows), b]: ``idf2`` at each row's document frequency (``incidence`` [D, n] @ the
    draw counts ``w`` [n, b], whole numbers) for the rows ``rows`` of ``incidence``: in one
    pass by the C kernel where it applies, else scipy and numpy (the same values)."""
    if kernel_fits(incidence, x=w) and idf2.dtype == np.float32:
        u = np.empty((len(rows), w.shape[1]), dtype=np.float32)
        sparse_product.kernels.cider_squared_idf(*csr_arrays(incidence), w, idf2, rows, u)
        return u
    df = (incidence @ w.astype(idf2.dtype)).astype(np.int32)  # [D, b]
    return idf2[df][rows]


@dataclass(frozen=True)
class SharedCiderResampler:
    """:class:`CiderResampler` of several systems on the same samples (the models of a
    leaderboard column), sharing the reference side that does not depend on the system:
    each resample's draw counts, and the document frequencies of the union of their
    ``incidence`` rows (the sets of samples whose references hold an n-gram), drawn and
    counted once per block for all. The per-system products are those of each alone, so
    every score is the same as each resampler's own."""

    parts: tuple[CiderResampler, ...]
    incidence: Any  # csr [U, n]: the distinct rows of every part's incidence
    gram_rows: tuple[np.ndarray, ...]  # per part, int32 [G_p]: each n-gram's row of incidence

    @classmethod
    def of(cls, parts: Sequence[CiderResampler]) -> SharedCiderResampler:
        """Share the reference side of ``parts`` (same samples, same ``idf2``)."""
        from scipy import sparse

        if len({p.n for p in parts}) > 1 or len({p.idf2.dtype for p in parts}) > 1:
            raise ValueError("shared CIDEr-D resamplers need the same samples and dtype")
        stacked = sparse.vstack([p.incidence for p in parts], format="csr")
        union, of = _distinct_rows(stacked)
        cuts = np.cumsum([0, *(p.incidence.shape[0] for p in parts)])
        rows = [of[a:b] for a, b in itertools.pairwise(cuts)]  # per part, [D_p]
        gram_rows = tuple(r[p.gram_set] for r, p in zip(rows, parts, strict=True))
        return cls(tuple(parts), union, gram_rows)

    def __call__(self, idx: np.ndarray) -> list[np.ndarray]:
        """Per part, float64 [B]: corpus CIDEr-D of each resample ``idx`` [B, n] (one
        thread; blocks of the smallest of the parts' default sizes)."""
        if not self.parts:
            return []
        first = self.parts[0]
        block = _even_block(len(idx), min(p.block_size() for p in self.parts))
        every_row = np.arange(self.incidence.shape[0], dtype=np.int32)
        out: list[list[np.ndarray]] = [[] for _ in self.parts]
        for b0 in range(0, len(idx), block):
            w = _draw_counts(idx[b0 : b0 + block], first.n, first.idf2.dtype)  # [n, b]
            idf2 = _squared_idf(self.incidence, w, first.idf2, every_row)  # [U, b]
            for scores, part, rows in zip(out, self.parts, self.gram_rows, strict=True):
                scores.append(part._scored(w, idf2[rows]))
        return [np.concatenate(s) if s else np.zeros(0) for s in out]


def block_columns(rows: int, itemsize: int, budget: int = BLOCK_BYTES) -> int:
    """Resamples per sparse product: a ``[rows, block]`` temporary fits ``budget`` bytes
    (at least 4, at most :data:`MAX_BLOCK` columns).

    >>> block_columns(250_000, 4, 24 << 20), block_columns(1_000, 8), block_columns(10**9, 4)
    (25, 32, 4)
    """
    return int(np.clip(budget // max(rows * itemsize, 1), 4, MAX_BLOCK))


def cider_resampler(
    caps: Captions, sigma: float = SIGMA, dtype: type = np.float64
) -> CiderResampler:
    """The sparse matrices of :class:`CiderResampler` for the samples of ``caps``.

    ``dtype`` is that of the squared IDFs and the per-row sums (float32 is faster, with
    ~1e-7 relative rounding in each resample's score). Built order by order with 32-bit
    indices, so the temporaries stay a fraction of the n-gram counts' size.
    """
    n, grams = caps.n, caps.ngrams
    n_ref = len(caps.offsets) - 1 - n
    base = np.cumsum([0, *(c.n_grams for c in grams)])  # ids: orders one after another
    n_grams = int(base[-1])
    # reference rows (reference*4 + order) that share an n-gram with their prediction:
    # hyp_count > 0 only in such entries (a prediction's own entries hold 0)
    kept = np.zeros(n_ref * MAX_N, dtype=bool)
    for k, c in enumerate(grams):
        kept[(c.caption[c.hyp_count > 0] - n) * MAX_N + k] = True
    # the K kept rows, numbered sample by sample, then order by order, then reference by
    # reference: each prediction row's (sample, order) references are consecutive rows, in
    # the order their cosines are summed
    kept_rows = np.flatnonzero(kept)  # [K] reference*4 + order
    owner = caps.ref_sample()[kept_rows // MAX_N]  # [K] non-decreasing
    pool_row = owner * MAX_N + kept_rows % MAX_N  # [K] the prediction row it is summed into
    by_pool = np.argsort(pool_row, kind="stable")
    kept_rows, owner, pool_row = kept_rows[by_pool], owner[by_pool], pool_row[by_pool]
    del by_pool
    k_rows = len(kept_rows)
    new_row = np.full(n_ref * MAX_N, -1, dtype=np.int32)  # [R*4] row among the K kept
    new_row[kept_rows] = np.arange(k_rows, dtype=np.int32)
    # entries that count: predictions' own, and references' in kept rows
    used = []
    needed = np.zeros(n_grams, dtype=bool)  # n-grams that need an IDF
    for k, c in enumerate(grams):
        ref_row = (c.caption - n) * MAX_N + k  # [E] negative for prediction entries
        on = c.caption < n
        on[~on] = kept[ref_row[~on]]
        needed[c.gram[on] + base[k]] = True
        used.append(on)
    g_used = int(needed.sum())
    new_gram = _hot_first(needed, grams, used, base)  # [G] id among the G' needed

    def entries(kind: str) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(row, column, value) of one matrix, order by order (one matrix at a time)."""
        out = []
        for k, (c, on) in enumerate(zip(grams, used, strict=True)):
            if kind == "inc":  # (n-gram, sample) pairs of needed n-grams
                i = needed[c.inc_gram + base[k]]
                out.append((new_gram[c.inc_gram[i] + base[k]], c.inc_sample[i], np.ones(i.sum())))
                continue
            if kind == "num":  # clipped products of reference entries with the prediction
                sh = c.hyp_count > 0
                clipped = np.minimum(c.hyp_count[sh], c.count[sh]) * c.count[sh]
                rows = new_row[(c.caption[sh] - n) * MAX_N + k] + k_rows
                out.append((rows, new_gram[c.gram[sh] + base[k]], clipped))
                continue
            sel = c.caption < n  # predictions' squared counts
            rows = c.caption[sel] * MAX_N + k
            if kind == "ref":  # kept references' squared counts
                sel = on & ~sel
                rows = new_row[(c.caption[sel] - n) * MAX_N + k]
            out.append((rows, new_gram[c.gram[sel] + base[k]], c.count[sel].astype(dtype) ** 2))
        return out

    penalty = _penalty(caps, sigma)[kept_rows // MAX_N]
    step = max(1, BLOCK_BYTES // (2 * MAX_BLOCK * np.dtype(dtype).itemsize))

    def reference_parts() -> tuple[list[Any], list[Any], list[int]]:
        ref = _csr(entries("ref") + entries("num"), (2 * k_rows, g_used), dtype)
        refs, pools, starts = [], [], []
        for a, b in itertools.pairwise(_parts(owner, step)):
            refs.append(_vstack(ref[a:b], ref[k_rows + a : k_rows + b]))
            r0, r1 = (int(owner[a]) * MAX_N, int(owner[b - 1] + 1) * MAX_N) if b > a else (0, 0)
            pool = (pool_row[a:b] - r0, np.arange(b - a), penalty[a:b])
            pools.append(_csr([pool], (r1 - r0, b - a), dtype))
            starts.append(r0)
        return refs, pools, starts

    refs, pools, starts = reference_parts()  # one matrix at a time: their temporaries do not add up
    incidence, gram_set = _distinct_rows(_csr(entries("inc"), (g_used, n), dtype))
    hyp = _csr(entries("hyp"), (n * MAX_N, g_used), dtype)
    return CiderResampler(
        n=n,
        incidence=incidence,
        gram_set=gram_set,
        hyp=hyp,
        refs=tuple(refs),
        pools=tuple(pools),
        pool_start=tuple(starts),
        idf2=((np.log(float(n)) - np.log(np.maximum(1.0, np.arange(n + 1)))) ** 2).astype(dtype),
        scale=10.0 / (MAX_N * n * caps.n_refs),
    )


def _hot_first(
    needed: np.ndarray, grams: Sequence[Any], used: Sequence[np.ndarray], base: np.ndarray
) -> np.ndarray:
    """int32 [G]: each needed n-gram's column, the most used first (others: -1).

    A sparse product reads one row of the squared IDFs ``[G', block]`` per non-zero:
    numbered by how many entries of the products use them, the common n-grams share a
    few cache-resident pages. Only the column labels change, not the order of the
    entries within a row, so every sum adds the same numbers in the same order.

    >>> from types import SimpleNamespace as NS
    >>> c = NS(gram=np.array([0, 2, 2, 1, 2]), hyp_count=np.array([0, 0, 1, 0, 0]))
    >>> _hot_first(np.ones(3, bool), [c], [np.ones(5, bool)], np.array([0])).tolist()
    [1, 2, 0]
    """
    uses = np.zeros(len(needed), dtype=np.int64)  # entries of the products per n-gram
    for k, (c, on) in enumerate(zip(grams, used, strict=True)):
        uses += np.bincount(c.gram[on] + base[k], minlength=len(needed))
        uses += np.bincount(c.gram[c.hyp_count > 0] + base[k], minlength=len(needed))
    order = np.flatnonzero(needed)
    order = order[np.argsort(-uses[order], kind="stable")]  # needed ids, most used first
    new_gram = np.full(len(needed), -1, dtype=np.int32)
    new_gram[order] = np.arange(len(order), dtype=np.int32)
    return new_gram


def _parts(owner: np.ndarray, step: int) -> list[int]:
    """Cuts of the rows ``owner`` [K] (non-decreasing sample ids) into parts of about
    ``step`` rows that never split a sample, so each sample's cosines are summed in one
    product, in the same order as in one matrix.

    >>> _parts(np.array([0, 0, 1, 1, 1, 2, 3, 3]), 3), _parts(np.array([], int), 3)
    ([0, 2, 5, 8], [0, 0])
    """
    cuts = [0]
    while cuts[-1] < len(owner):
        target = cuts[-1] + step
        if target >= len(owner):
            cuts.append(len(owner))
            break
        cut = int(np.searchsorted(owner, owner[target], side="left"))  # that sample's start
        if cut <= cuts[-1]:  # one sample longer than a part: it is a part of its own
            cut = int(np.searchsorted(owner, owner[target], side="right"))
        cuts.append(cut)
    return cuts if len(cuts) > 1 else [0, 0]


def _distinct_rows(m: Any) -> tuple[Any, np.ndarray]:
    """(the distinct rows of the CSR matrix ``m``, int32 [rows] the distinct row of each).

    Rows are grouped by a 64-bit hash of their column indices and values, and every row is
    then compared with its group's first, entry by entry: a collision keeps all rows as they are.

    >>> from scipy import sparse
    >>> m = sparse.csr_matrix(np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1], [0, 0, 0]]))
    >>> d, of = _distinct_rows(m)
    >>> d.toarray().tolist(), of.tolist()
    ([[1, 0, 1], [0, 1, 0], [0, 0, 0]], [0, 1, 0, 2])
    """
    rows, nnz = m.shape[0], m.nnz
    lengths = np.diff(m.indptr).astype(np.int64)
    owner = np.repeat(np.arange(rows), lengths)  # [nnz]
    offset = np.arange(nnz) - m.indptr[owner]  # [nnz] place in its row
    x = (m.indices.astype(np.uint64) << np.uint64(20)) ^ offset.astype(np.uint64)
    x ^= m.data.astype(np.float64).view(np.uint64)
    h = (x + lengths[owner].astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)
    sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(h)])  # wraps around 2**64
    key = sums[m.indptr[1:]] - sums[m.indptr[:-1]]  # [rows] per row, modulo 2**64
    key ^= lengths.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    _, first, of = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # distinct rows in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    of, first = rank[of], first[order]
    if not np.array_equal(lengths, lengths[first[of]]):
        return m, np.arange(rows, dtype=np.int32)  # a hash collision: keep every row
    other = m.indptr[first[of][owner]] + offset  # [nnz] the same place in the group's first
    if not (np.array_equal(m.indices, m.indices[other]) and np.array_equal(m.data, m.data[other])):
        return m, np.arange(rows, dtype=np.int32)
    return m[first], of.astype(np.int32)


def _vstack(top: Any, bottom: Any) -> Any:
    """Two CSR matrices of the same width, one above the other (CSR, 32-bit indices kept)."""
    from scipy import sparse

    indptr = np.concatenate([top.indptr, bottom.indptr[1:] + top.indptr[-1]])
    data = np.concatenate([top.data, bottom.data])
    indices = np.concatenate([top.indices, bottom.indices])
    shape = (top.shape[0] + bottom.shape[0], top.shape[1])
    return sparse.csr_matrix((data, indices, indptr.astype(indices.dtype)), shape)


def _row_order(row: np.ndarray) -> np.ndarray:
    """int64 [E]: the stable argsort of the non-negative row ids ``row`` [E] (overwritten
    when int64), sorted in place as ``row << bits | position``: one more array of E int64.

    >>> _row_order(np.array([2, 0, 2, 1, 0])).tolist()
    [1, 4, 3, 0, 2]
    """
    bits = max(len(row) - 1, 1).bit_length()
    if len(row) and int(row.max()) >= 1 << (62 - bits):
        return np.argsort(row, kind="stable")
    order = row if row.dtype == np.int64 else row.astype(np.int64)
    order <<= bits
    order |= np.arange(len(row), dtype=np.int64)
    order.sort()
    order &= (1 << bits) - 1
    return order


def _csr(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], shape: tuple[int, int], dtype):
    """A scipy CSR matrix of ``dtype`` from (row, column, value) arrays (no repeated
    positions), each row's entries in the order given (the C kernel's counting sort
    where it applies, else a stable sort)."""
    from scipy import sparse

    counts = np.zeros(shape[0] + 1, dtype=np.int64)
    for p in parts:
        counts[1:] += np.bincount(p[0], minlength=shape[0])
    indptr = np.cumsum(counts)
    row = np.concatenate([p[0] for p in parts])
    col = np.concatenate([p[1] for p in parts]).astype(np.int32)
    value = np.concatenate([p[2].astype(dtype) for p in parts])
    kernels = sparse_product.kernels
    if kernels is not None and len(row) < 2**31 and value.dtype == np.float32:
        indptr = indptr.astype(np.int32)
        indices, data = np.empty_like(col), np.empty_like(value)
        kernels.csr_scatter(row, col, value, indptr, indices, data)
        return sparse.csr_matrix((data, indices, indptr), shape)
    order = _row_order(row)  # entries row by row
    col, value = col[order], value[order]
    del order
    index = np.int32 if len(col) < 2**31 else np.int64
    return sparse.csr_matrix((value, col.astype(index), indptr.astype(index)), shape)


@METRICS.register("cider")
class CiderD(Metric):
    """CIDEr-D as pycocoevalcap (key ``CIDEr``); ``tokenizer`` preset (default ``ptb``)."""

    name = "cider"
    keys = ("CIDEr",)

    def __init__(self, tokenizer: str = "ptb", sigma: float = SIGMA) -> None:
        self.tokenizer = tokenizer
        self.sigma = float(sigma)

    def stats(
        self, predictions: Sequence[str], references: Sequence[Sequence[str]]
    ) -> list[CaptionRef]:
        return self.stats_tokenized(tokenize_captions(predictions, references, self.tokenizer))

    def stats_tokenized(self, caps: Captions) -> list[CaptionRef]:
        """Per-sample statistics (views of ``caps``) from captions tokenized once."""
        return list(map(CaptionRef, repeat(caps, caps.n), range(caps.n)))

    def log_tokens(self, stats: Sequence[CaptionRef]) -> list[tuple[str, list[str]]]:
        """What a sample log keeps of ``stats``: each sample's (prediction, references) as
        tokenizer output, so a report rebuilds them without tokenizing
        (:meth:`stats_from_tokens`)."""
        return caption_tokens(gather(stats))

    def stats_from_tokens(self, tokens: Sequence[tuple[str, Sequence[str]]]) -> list[CaptionRef]:
        """Per-sample statistics from :meth:`log_tokens`' output (the same as :meth:`stats`
        on the texts it came from)."""
        return self.stats_tokenized(tokenized_captions(tokens))

    def compact(self, stats: Sequence[CaptionRef]) -> list[CaptionRef]:
        """``stats`` as views of one batch holding exactly these samples in this order, so
        scoring and resampling them gather nothing and count n-grams once (same values)."""
        return self.stats_tokenized(gather(stats))

    def score(self, stats: Sequence[CaptionRef]) -> dict[str, float]:
        if len(stats) == 0:
            return {"CIDEr": 0.0}
        return {"CIDEr": float(np.mean(cider_scores(gather(stats), self.sigma)))}

    def resample(self, stats: Sequence[CaptionRef], idx: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of the resamples ``idx`` [B, n]: {"CIDEr": [B]}, DF recomputed per resample."""
        return self.resampler(stats)(idx)

    def resampler(
        self, stats: Sequence[CaptionRef]
    ) -> Callable[[np.ndarray], dict[str, np.ndarray]]:
        """:meth:`resample` with the sparse matrices built once, for many index chunks, on
        the calling thread (the bootstrap scores chunks on one thread per CPU)."""
        scores = cider_resampler(gather(stats), self.sigma, dtype=RESAMPLE_DTYPE)
        return lambda idx: {"CIDEr": scores(idx, workers=1)}

    def resampler_many(
        self, many: Sequence[Sequence[CaptionRef]]
    ) -> Callable[[np.ndarray], list[dict[str, np.ndarray]]]:
        """:meth:`resampler` of several systems on the same samples at once (one thread):
        the draw counts and document frequencies are shared (:class:`SharedCiderResampler`);
        the same scores as each system's own resampler."""
        parts = [cider_resampler(gather(stats), self.sigma, RESAMPLE_DTYPE) for stats in many]
        shared = SharedCiderResampler.of(parts)
        return lambda idx: [{"CIDEr": scores} for scores in shared(idx)]

    def signature(self) -> str:
        tok = "ptb-py" if self.tokenizer == "ptb" else self.tokenizer
        return versioned("cider-d", f"tok:{tok}", f"n:{MAX_N}", f"sigma:{self.sigma:g}", "df:refs")
