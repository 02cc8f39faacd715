"""BLEU-1..4 exactly as pycocoevalcap's ``BleuScorer`` (COCO caption evaluation).

Corpus level: clipped n-gram matches and candidate n-gram counts summed over samples, the
"closest" reference length (ties to the shorter), its ``tiny = 1e-15`` / ``small = 1e-9``
smoothing constants, brevity penalty on the summed lengths. Per-sample statistics are ten
integers (length, closest reference length, 4 guesses, 4 matches), so any subset or
resample is scored by summing rows.

>>> m = Bleu()
>>> st = m.stats(["a man riding a horse"], [["a man rides a horse", "a person on a horse"]])
>>> {k: round(v, 4) for k, v in m.score(st).items()}
{'Bleu_1': 0.8, 'Bleu_2': 0.6325, 'Bleu_3': 0.0, 'Bleu_4': 0.0}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from mmbench.metrics._captions import (
    MAX_N,
    Captions,
    resample_weights,
    tokenize_captions,
)
from mmbench.metrics.base import Metric, versioned
from mmbench.registry import METRICS

TINY = 1e-15
SMALL = 1e-9
KEYS = tuple(f"Bleu_{k}" for k in range(1, MAX_N + 1))


def bleu_stats(caps: Captions) -> np.ndarray:
    """int64 [n, 2 + 2*4]: testlen, closest reflen, guesses 1..4, clipped matches 1..4."""
    n, n_max = caps.n, MAX_N
    lengths = caps.lengths
    test_len = lengths[:n]
    ref_len = lengths[n:]
    ref_sample = caps.ref_sample()
    # closest reference length, ties to the shorter: minimise (|l - testlen|, l)
    key = np.abs(ref_len - test_len[ref_sample]) * (ref_len.max(initial=0) + 1) + ref_len
    best = np.minimum.reduceat(key, caps.ref_start[:-1]) if len(key) else key
    closest = best % (ref_len.max(initial=0) + 1)

    correct = np.column_stack(  # [n, 4]
        [np.bincount(c.hyp_sample, c.hyp_clipped, minlength=n) for c in caps.ngrams]
    )
    guess = np.maximum(0, test_len[:, None] - np.arange(n_max)[None, :])
    return np.column_stack([test_len, closest, guess, correct.astype(np.int64)])


def bleu_from_sums(sums: np.ndarray) -> np.ndarray:
    """[..., 4] BLEU-1..4 from summed stats rows ``[..., 10]`` (pycocoevalcap's arithmetic)."""
    test_len, ref_len = sums[..., 0], sums[..., 1]
    guess, correct = sums[..., 2 : 2 + MAX_N], sums[..., 2 + MAX_N :]
    ratio_k = (correct + TINY) / (guess + SMALL)
    bleus = np.cumprod(ratio_k, axis=-1) ** (1.0 / np.arange(1, MAX_N + 1))
    ratio = (test_len + TINY) / (ref_len + SMALL)
    with np.errstate(divide="ignore", over="ignore"):
        penalty = np.where(ratio < 1, np.exp(1 - 1 / ratio), 1.0)
    return bleus * penalty[..., None]


@METRICS.register("bleu")
class Bleu(Metric):
    """BLEU-1..4 as pycocoevalcap (keys ``Bleu_1``..``Bleu_4``); ``tokenizer`` preset."""

    name = "bleu"
    keys = KEYS

    def __init__(self, tokenizer: str = "ptb") -> None:
        self.tokenizer = tokenizer

    def stats(
        self, predictions: Sequence[str], references: Sequence[Sequence[str]]
    ) -> list[np.ndarray]:
        return self.stats_tokenized(tokenize_captions(predictions, references, self.tokenizer))

    def stats_tokenized(self, caps: Captions) -> list[np.ndarray]:
        """Per-sample rows from captions tokenized once for several metrics."""
        return list(bleu_stats(caps))

    def score(self, stats: Sequence[np.ndarray]) -> dict[str, float]:
        if len(stats) == 0:
            return dict.fromkeys(KEYS, 0.0)
        values = bleu_from_sums(np.sum(np.asarray(stats), axis=0))
        return {k: float(v) for k, v in zip(KEYS, values, strict=True)}

    def resample(self, stats: Sequence[np.ndarray], idx: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of ``idx.shape[0]`` resamples ``idx`` [B, n] at once: {key: [B]}."""
        return self.resampler(stats)(idx)

    def resampler(self, stats: Sequence[np.ndarray]) -> Callable[[np.ndarray], dict]:
        """:meth:`resample` with the per-sample rows stacked once, for many index chunks."""
        rows = np.asarray(stats, dtype=np.float64)  # [n, 10]

        def scores(idx: np.ndarray) -> dict[str, np.ndarray]:
            sums = resample_weights(idx, len(rows)) @ rows  # [B, 10] integer sums, exact
            values = bleu_from_sums(sums)  # [B, 4]
            return {k: values[:, j] for j, k in enumerate(KEYS)}

        return scores

    def signature(self) -> str:
        return versioned(
            "bleu", f"tok:{_tok_sig(self.tokenizer)}", "n:4", "ref-len:closest", "smooth:coco"
        )


def _tok_sig(tokenizer: str) -> str:
    return "ptb-py" if tokenizer == "ptb" else tokenizer
