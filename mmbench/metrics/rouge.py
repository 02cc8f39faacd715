"""ROUGE-L exactly as pycocoevalcap's ``Rouge`` (beta 1.2, best precision and recall).

Per sample: the longest common subsequence (LCS) of the prediction with each reference
gives precision ``lcs/len(pred)`` and recall ``lcs/len(ref)``; the maxima over references
combine as ``(1 + b^2) P R / (R + b^2 P)``; the corpus value is the mean over samples.
Tokens are ``split(" ")`` of the tokenizer output, as pycocoevalcap does (an empty
caption is one empty token). LCS lengths use a bit-parallel algorithm over all
(prediction, reference) pairs at once (references up to 64 tokens; longer ones fall back
to dynamic programming).

>>> m = RougeL()
>>> m.score(m.stats(["a man riding a horse"], [["a man rides a horse"]]))
{'ROUGE_L': 0.8}
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mmbench.metrics._captions import Captions, resample_means, tokenize_captions
from mmbench.metrics.base import Metric, versioned
from mmbench.registry import METRICS

BETA = 1.2
_WORD = 64
_CHUNK = 16384


def _rouge_tokens(caps: Captions) -> list[np.ndarray]:
    """Token ids of ``s.split(" ")`` for every caption (ids shared with ``caps.vocab``)."""
    out = np.split(caps.tokens, caps.offsets[1:-1])
    extra: dict[str, int] = {t: i for i, t in enumerate(caps.vocab)}
    for c, s in enumerate(caps.strings):
        if s.count(" ") + 1 != len(out[c]):  # empty, double spaces, or other whitespace
            out[c] = np.asarray([extra.setdefault(t, len(extra)) for t in s.split(" ")])
    return out


def _dp_lcs(a: np.ndarray, b: np.ndarray) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def lcs_lengths(hyps: list[np.ndarray], refs: list[np.ndarray]) -> np.ndarray:
    """int64 [P]: LCS length of each pair ``(hyps[p], refs[p])``."""
    n_pairs = len(hyps)
    out = np.zeros(n_pairs, dtype=np.int64)
    ref_len = np.fromiter((len(r) for r in refs), np.int64, n_pairs)
    hyp_len = np.fromiter((len(h) for h in hyps), np.int64, n_pairs)
    long = np.flatnonzero(ref_len > _WORD)
    for p in long:
        out[p] = _dp_lcs(hyps[p].tolist(), refs[p].tolist())
    short = np.flatnonzero(ref_len <= _WORD)
    for start in range(0, len(short), _CHUNK):
        sel = short[start : start + _CHUNK]
        lh = int(hyp_len[sel].max(initial=0))
        if lh == 0:
            continue
        hyp_pad = np.full((len(sel), lh), -1, dtype=np.int64)
        ref_pad = np.full((len(sel), _WORD), -2, dtype=np.int64)
        for row, p in enumerate(sel):
            hyp_pad[row, : hyp_len[p]] = hyps[p]
            ref_pad[row, : ref_len[p]] = refs[p]
        eq = hyp_pad[:, :, None] == ref_pad[:, None, :]  # [P, Lh, 64] token matches
        masks = np.packbits(eq, axis=-1, bitorder="little").view(np.uint64)[..., 0]  # [P, Lh]
        v = np.full(len(sel), np.iinfo(np.uint64).max, dtype=np.uint64)
        for i in range(lh):
            u = v & masks[:, i]
            v = (v + u) | (v - u)
        low = np.where(
            ref_len[sel] >= _WORD,
            np.iinfo(np.uint64).max,
            (np.uint64(1) << ref_len[sel].astype(np.uint64)) - np.uint64(1),
        ).astype(np.uint64)
        out[sel] = ref_len[sel] - np.bitwise_count(v & low)
    return out


def rouge_scores(caps: Captions, beta: float = BETA) -> np.ndarray:
    """float64 [n]: ROUGE-L of each sample."""
    toks = _rouge_tokens(caps)
    n = caps.n
    ref_sample = caps.ref_sample()
    hyps = [toks[s] for s in ref_sample]
    refs = toks[n:]
    lcs = lcs_lengths(hyps, refs).astype(np.float64)
    hyp_len = np.fromiter((len(h) for h in hyps), np.float64, len(hyps))
    ref_len = np.fromiter((len(r) for r in refs), np.float64, len(refs))
    prec = np.maximum.reduceat(lcs / hyp_len, caps.ref_start[:-1])
    rec = np.maximum.reduceat(lcs / ref_len, caps.ref_start[:-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        score = ((1 + beta**2) * prec * rec) / (rec + beta**2 * prec)
    return np.where((prec != 0) & (rec != 0), score, 0.0)


@METRICS.register("rouge_l")
class RougeL(Metric):
    """ROUGE-L as pycocoevalcap (key ``ROUGE_L``); ``tokenizer`` preset (default ``ptb``)."""

    name = "rouge_l"
    keys = ("ROUGE_L",)

    def __init__(self, tokenizer: str = "ptb") -> None:
        self.tokenizer = tokenizer

    def stats(self, predictions: Sequence[str], references: Sequence[Sequence[str]]) -> list[float]:
        return self.stats_tokenized(tokenize_captions(predictions, references, self.tokenizer))

    def stats_tokenized(self, caps: Captions) -> list[float]:
        """Per-sample ROUGE-L from captions tokenized once for several metrics."""
        return rouge_scores(caps).tolist() if caps.n else []

    def score(self, stats: Sequence[float]) -> dict[str, float]:
        return {"ROUGE_L": float(np.mean(stats)) if len(stats) else 0.0}

    def resample(self, stats: Sequence[float], idx: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of the resamples ``idx`` [B, n]: {"ROUGE_L": [B]}."""
        return {"ROUGE_L": resample_means(np.asarray(stats, dtype=np.float64), idx)}

    def signature(self) -> str:
        tok = "ptb-py" if self.tokenizer == "ptb" else self.tokenizer
        return versioned("rouge-l", f"tok:{tok}", f"beta:{BETA}", "refs:max-p-r")
