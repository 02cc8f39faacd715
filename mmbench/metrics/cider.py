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

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from mmbench.metrics._captions import (
    MAX_N,
    CaptionRef,
    Captions,
    gather,
    resample_weights,
    tokenize_captions,
)
from mmbench.metrics.base import Metric, versioned
from mmbench.registry import METRICS

SIGMA = 6.0


@dataclass(frozen=True)
class _Terms:
    """Everything CIDEr-D needs, as weighted sums over n-grams of ``idf(g)**2``.

    Rows: ``hyp_row = sample*4 + order`` and ``ref_row = reference*4 + order``. Each
    ``*_w`` entry multiplies ``idf[gram]**2`` in its row's sum.
    """

    n: int
    n_grams: int
    inc_sample: np.ndarray  # [I] (sample, gram) pairs: gram occurs in the sample's refs
    inc_gram: np.ndarray  # [I]
    hyp_row: np.ndarray  # [Eh] squared-norm terms of predictions
    hyp_gram: np.ndarray
    hyp_w: np.ndarray
    ref_row: np.ndarray  # [Er] squared-norm terms of references
    ref_gram: np.ndarray
    ref_w: np.ndarray
    num_row: np.ndarray  # [Em] clipped dot-product terms (reference rows)
    num_gram: np.ndarray
    num_w: np.ndarray
    ref_sample: np.ndarray  # [R]
    penalty: np.ndarray  # [R] Gaussian length penalty of each reference
    n_refs: np.ndarray  # [n]


def _terms(caps: Captions, sigma: float) -> _Terms:
    n, grams = caps.n, caps.ngrams
    base = np.cumsum([0, *(c.n_grams for c in grams)])[:-1]  # ids: orders one after another
    caption = np.concatenate([c.caption for c in grams]).astype(np.int64)
    order = np.repeat(np.arange(len(grams)), [len(c.caption) for c in grams])
    gram = np.concatenate([c.gram + b for c, b in zip(grams, base, strict=True)])
    count = np.concatenate([c.count for c in grams]).astype(np.int64)
    shared = np.concatenate([c.hyp_count for c in grams]).astype(np.int64)
    is_hyp, is_ref = caption < n, caption >= n
    num = is_ref & (shared > 0)  # reference n-grams the prediction shares
    return _Terms(
        n=n,
        n_grams=int(sum(c.n_grams for c in grams)),
        inc_sample=np.concatenate([c.inc_sample for c in grams]).astype(np.int64),
        inc_gram=np.concatenate([c.inc_gram + b for c, b in zip(grams, base, strict=True)]),
        hyp_row=caption[is_hyp] * MAX_N + order[is_hyp],
        hyp_gram=gram[is_hyp],
        hyp_w=(count[is_hyp] ** 2).astype(np.float64),
        ref_row=(caption[is_ref] - n) * MAX_N + order[is_ref],
        ref_gram=gram[is_ref],
        ref_w=(count[is_ref] ** 2).astype(np.float64),
        num_row=(caption[num] - n) * MAX_N + order[num],
        num_gram=gram[num],
        num_w=(np.minimum(shared[num], count[num]) * count[num]).astype(np.float64),
        ref_sample=caps.ref_sample(),
        penalty=_penalty(caps, sigma),
        n_refs=caps.n_refs,
    )


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


def cider_resample(t: _Terms, idx: np.ndarray, chunk: int = 32) -> np.ndarray:
    """float64 [B]: corpus CIDEr-D of each resample ``idx`` [B, n], DF recomputed for each.

    A resample is its draw counts ``w`` [n]: document frequencies become ``w``-weighted
    counts (``DF = M @ w`` with ``M`` the n-gram x sample incidence of the references),
    ``log(n)`` stays (a resample has n samples), and the per-sample scores are averaged
    with weights ``w``: the same arithmetic as scoring the resampled list. Every squared
    norm and dot product is a sparse matrix times the squared IDFs, so ``chunk``
    resamples go through one sparse-dense product (scipy) at a time.
    """
    from scipy import sparse

    n, n_ref = t.n, len(t.ref_sample)
    rows_h, rows_r = n * MAX_N, n_ref * MAX_N
    idf2 = (np.log(float(n)) - np.log(np.maximum(1.0, np.arange(n + 1)))) ** 2  # by DF
    incidence = sparse.csr_matrix(
        (np.ones(len(t.inc_gram)), (t.inc_gram, t.inc_sample)), shape=(t.n_grams, n)
    )
    hyp = sparse.csr_matrix((t.hyp_w, (t.hyp_row, t.hyp_gram)), shape=(rows_h, t.n_grams))
    ref = sparse.csr_matrix(  # rows: reference squared norms, then clipped dot products
        (
            np.concatenate([t.ref_w, t.num_w]),
            (
                np.concatenate([t.ref_row, t.num_row + rows_r]),
                np.concatenate([t.ref_gram, t.num_gram]),
            ),
        ),
        shape=(2 * rows_r, t.n_grams),
    )
    # sums each reference's penalized cosine into its sample's row, per order
    ref_rows = np.arange(rows_r)
    pool = sparse.csr_matrix(
        (
            np.repeat(t.penalty, MAX_N),
            (t.ref_sample.repeat(MAX_N) * MAX_N + ref_rows % MAX_N, ref_rows),
        ),
        shape=(rows_h, rows_r),
    )
    scale = 10.0 / (MAX_N * n * t.n_refs)  # [n] mean over orders, references, samples
    draws = resample_weights(idx, n)  # [B, n]
    out = np.empty(len(idx))
    for b0 in range(0, len(idx), chunk):
        w = np.ascontiguousarray(draws[b0 : b0 + chunk].T)  # [n, b]
        u = idf2[(incidence @ w).astype(np.intp)]  # [G, b] squared IDF in each resample
        hn = np.sqrt(hyp @ u)  # [n*4, b] prediction norms
        rr = ref @ u  # [2*R*4, b]
        rn, num = np.sqrt(rr[:rows_r]), rr[rows_r:]  # [R*4, b] each
        rn[rn == 0] = 1.0  # a zero vector has zero dot products: 0 / 1
        hn[hn == 0] = 1.0
        cos = (pool @ (num / rn)) / hn  # [n*4, b] penalized cosines summed over references
        out[b0 : b0 + chunk] = (cos.reshape(n, MAX_N, -1).sum(axis=1) * w).T @ scale
    return out


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

    def score(self, stats: Sequence[CaptionRef]) -> dict[str, float]:
        if len(stats) == 0:
            return {"CIDEr": 0.0}
        return {"CIDEr": float(np.mean(cider_scores(gather(stats), self.sigma)))}

    def resample(self, stats: Sequence[CaptionRef], idx: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of the resamples ``idx`` [B, n]: {"CIDEr": [B]}, DF recomputed per resample."""
        return {"CIDEr": cider_resample(_terms(gather(stats), self.sigma), idx)}

    def signature(self) -> str:
        tok = "ptb-py" if self.tokenizer == "ptb" else self.tokenizer
        return versioned("cider-d", f"tok:{tok}", f"n:{MAX_N}", f"sigma:{self.sigma:g}", "df:refs")
