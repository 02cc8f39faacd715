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
from itertools import repeat

import numpy as np

from mmbench.metrics._captions import Captions, resample_means, tokenize_captions
from mmbench.metrics.base import Metric, versioned
from mmbench.registry import METRICS

BETA = 1.2
_WORD = 64
_WIDTHS = (8, 16, 32, 64)
_UINTS = (np.uint8, np.uint16, np.uint32, np.uint64)
_CHUNK = 16384


def _rouge_tokens(caps: Captions) -> tuple[np.ndarray, np.ndarray]:
    """(token ids [T'], offsets [C + 1]) of ``s.split(" ")`` for every caption.

    Equal to the ``str.split()`` tokens of ``caps`` except for captions that are empty or
    hold whitespace other than single spaces; those are re-split (ids extend the vocab).
    """
    strings, lengths = caps.strings, caps.lengths
    joined = "".join(strings)
    # only ASCII spaces as whitespace: each split(" ") has at least the split() tokens,
    # so equal totals mean equal tokens in every caption
    if joined.isprintable() and joined.count(" ") + len(strings) == int(lengths.sum()):
        return caps.tokens, caps.offsets
    del joined
    printable = np.fromiter(map(str.isprintable, strings), bool, len(strings))
    spaces = np.fromiter(map(str.count, strings, repeat(" ")), np.int64, len(strings))
    odd = np.flatnonzero(~printable | (spaces + 1 != lengths))
    if len(odd) == 0:
        return caps.tokens, caps.offsets
    vocab = {t: i for i, t in enumerate(caps.vocab)}
    extra = [[vocab.setdefault(t, len(vocab)) for t in strings[c].split(" ")] for c in odd]
    new_len = lengths.copy()
    new_len[odd] = [len(e) for e in extra]
    src = caps.offsets[:-1].copy()  # where each caption's tokens start in the source
    src[odd] = len(caps.tokens) + np.cumsum([0, *new_len[odd][:-1]])
    source = np.concatenate([caps.tokens, np.asarray(sum(extra, []), dtype=np.int64)])
    offsets = np.concatenate([[0], np.cumsum(new_len)])
    owner = np.repeat(np.arange(len(new_len)), new_len)
    return source[np.arange(offsets[-1]) - offsets[owner] + src[owner]], offsets


def _dp_lcs(a: list[int], b: list[int]) -> int:
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def lcs_lengths(
    tokens: np.ndarray, offsets: np.ndarray, hyp: np.ndarray, ref: np.ndarray
) -> np.ndarray:
    """int64 [P]: LCS length of captions ``hyp[p]`` and ``ref[p]`` (``tokens[offsets[c]:...]``).

    Bit-parallel (Allison-Dix / Hyyro): the reference's positions are the bits of one
    unsigned integer of 8..64 bits; pairs are batched by that width and by prediction
    length. References over 64 tokens fall back to dynamic programming.
    """
    lengths = np.diff(offsets)
    hyp_len, ref_len = lengths[hyp], lengths[ref]
    out = np.zeros(len(hyp), dtype=np.int64)
    for p in np.flatnonzero(ref_len > _WORD):
        h, r = (tokens[offsets[c] : offsets[c + 1]].tolist() for c in (hyp[p], ref[p]))
        out[p] = _dp_lcs(h, r)
    width = np.select([ref_len <= w for w in _WIDTHS], _WIDTHS, 0)  # [P] bits per pair
    for w, dtype in zip(_WIDTHS, _UINTS, strict=True):
        pairs = np.flatnonzero(width == w)
        pairs = pairs[np.argsort(hyp_len[pairs], kind="stable")]  # similar lengths together
        for start in range(0, len(pairs), _CHUNK):
            sel = pairs[start : start + _CHUNK]
            out[sel] = _lcs_bits(tokens, offsets, hyp[sel], ref[sel], w, dtype)
    return out


def _bits(flags: np.ndarray, dtype) -> np.ndarray:
    """[...]: the booleans ``flags`` [..., w] (w a multiple of 8) as the bits of ``dtype``.

    Equal to ``np.packbits(flags, axis=-1, bitorder="little")`` viewed as ``dtype``, several
    times faster: each 8 booleans (bytes 0/1) are read as one little-endian uint64, and one
    multiplication moves byte k's bit to bit 56 + k.
    """
    shift = np.uint64(56)
    octets = (flags.view("<u8") * np.uint64(0x0102040810204080)) >> shift  # [..., w // 8]
    out = octets[..., 0].astype(dtype)
    for q in range(1, octets.shape[-1]):
        out |= (octets[..., q] << np.uint64(8 * q)).astype(dtype)
    return out


def _lcs_bits(
    tokens: np.ndarray, offsets: np.ndarray, hyp: np.ndarray, ref: np.ndarray, w: int, dtype
) -> np.ndarray:
    hyp_len = offsets[hyp + 1] - offsets[hyp]
    ref_len = offsets[ref + 1] - offsets[ref]
    lh = int(hyp_len.max(initial=0))
    if lh == 0:
        return np.zeros(len(hyp), dtype=np.int64)

    def padded(caps: np.ndarray, lens: np.ndarray, width: int, fill: int) -> np.ndarray:
        col = np.arange(width)
        at = np.minimum(offsets[caps][:, None] + col, len(tokens) - 1)  # [P, width]
        return np.where(col < lens[:, None], tokens[at], fill)

    hyp_pad = padded(hyp, hyp_len, lh, -1)  # [P, Lh]
    ref_pad = padded(ref, ref_len, w, -2)  # [P, w]
    eq = hyp_pad[:, :, None] == ref_pad[:, None, :]  # [P, Lh, w] token matches
    masks = _bits(eq, dtype)  # [P, Lh]
    v = np.full(len(hyp), np.iinfo(dtype).max, dtype=dtype)
    for i in range(lh):
        u = v & masks[:, i]
        v = (v + u) | (v - u)
    low = (np.ones(len(ref), dtype=np.uint64) << ref_len.astype(np.uint64)) - np.uint64(1)
    low = np.where(ref_len >= 64, np.iinfo(np.uint64).max, low).astype(dtype)
    return ref_len - np.bitwise_count(v & low)


def rouge_scores(caps: Captions, beta: float = BETA) -> np.ndarray:
    """float64 [n]: ROUGE-L of each sample."""
    tokens, offsets = _rouge_tokens(caps)
    n = caps.n
    hyp = caps.ref_sample()  # [R] the prediction paired with each reference
    ref = n + np.arange(len(hyp))
    lcs = lcs_lengths(tokens, offsets, hyp, ref).astype(np.float64)
    lengths = np.diff(offsets).astype(np.float64)
    prec = np.maximum.reduceat(lcs / lengths[hyp], caps.ref_start[:-1])
    rec = np.maximum.reduceat(lcs / lengths[ref], caps.ref_start[:-1])
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
