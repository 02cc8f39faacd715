"""Word and character error rates through jiwer, at corpus level.

Per sample the statistics are jiwer's alignment counts ``(substitutions, deletions,
insertions, hits)``; the corpus rate is ``(S + D + I) / (S + D + H)`` (total errors over total
reference words or characters), the same as ``jiwer.wer`` on the whole list. Texts pass
through a normalizer preset first (``librispeech`` by default, ``english`` for Whisper's,
``none``). An empty hypothesis deletes every reference word. An empty reference adds its
hypothesis words as insertions and nothing to the denominator; a corpus with no reference
words at all divides by 1 (so its WER is the number of inserted words, 0 only if nothing was
hypothesized) rather than being undefined.

>>> m = WER(normalizer="librispeech")
>>> st = m.stats(["the cat sat", ""], ["THE CAT SAT ON", "HELLO WORLD"])
>>> st
[(0, 1, 0, 3), (0, 2, 0, 0)]
>>> m.score(st)["wer"]
0.5
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mmbench.metrics.base import Metric, versioned
from mmbench.normalize import get_normalizer
from mmbench.registry import METRICS

Counts = tuple[int, int, int, int]  # substitutions, deletions, insertions, hits


def _counts(alignment: Sequence[Any]) -> Counts:
    s = d = i = h = 0
    for chunk in alignment:
        ref_len = chunk.ref_end_idx - chunk.ref_start_idx
        if chunk.type == "equal":
            h += ref_len
        elif chunk.type == "substitute":
            s += ref_len
        elif chunk.type == "delete":
            d += ref_len
        else:  # insert
            i += chunk.hyp_end_idx - chunk.hyp_start_idx
    return s, d, i, h


def _resampled_totals(idx: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """int64 ``[R, C]``: the columns of ``counts`` ``[n, C]`` summed over each resample
    ``idx`` ``[R, n]`` (a draw-count matrix ``[R, n]`` times ``counts``).

    The product runs in float64 (BLAS) where every sum is an integer below 2^53, so exact in
    any order: the same integers as the int64 product, which numpy does without BLAS."""
    r, n = idx.shape
    drawn = np.bincount((idx + (np.arange(r) * n)[:, None]).ravel(), minlength=r * n)
    drawn = drawn.reshape(r, n)  # [R, n] times each sample is drawn
    if counts.size and n * int(np.abs(counts).max()) < 2**53:  # rows of drawn sum to n
        return (drawn.astype(np.float64) @ counts.astype(np.float64)).astype(np.int64)
    return drawn @ counts


def _rate(totals: np.ndarray) -> np.ndarray:
    """``totals`` ``[..., 4]`` summed (S, D, I, H) -> ``[...]`` error rates."""
    s, d, i, h = (totals[..., k] for k in range(4))
    return (s + d + i) / np.maximum(s + d + h, 1)


class _ErrorRate(Metric):
    unit = "word"
    higher_is_better = False

    def __init__(self, normalizer: str = "librispeech") -> None:
        self.normalizer_name = normalizer
        self._norm = get_normalizer(normalizer)

    def _process(self, references: list[str], hypotheses: list[str]) -> Any:
        raise NotImplementedError

    def stats(
        self, predictions: Sequence[str], references: Sequence[Sequence[str] | str]
    ) -> list[Counts]:
        """One ``(S, D, I, H)`` per sample; each sample has one reference transcript."""
        if len(predictions) != len(references):
            raise ValueError(f"{len(predictions)} predictions for {len(references)} references")
        norm = self._norm
        refs = [norm(r if isinstance(r, str) else _single(r, k)) for k, r in enumerate(references)]
        hyps = [norm(p) for p in predictions]
        if not refs:
            return []
        out = self._process(refs, hyps)
        return [_counts(a) for a in out.alignments]

    def score(self, stats: Sequence[Counts]) -> dict[str, float]:
        totals = np.asarray(stats, dtype=np.int64).reshape(-1, 4).sum(axis=0)
        return {self.name: float(_rate(totals))}

    def extras(self, stats: Sequence[Counts]) -> dict[str, int]:
        """Total substitutions, deletions, insertions and hits."""
        totals = np.asarray(stats, dtype=np.int64).reshape(-1, 4).sum(axis=0)
        names = ("substitutions", "deletions", "insertions", "hits")
        return {k: int(v) for k, v in zip(names, totals, strict=True)}

    def resample(self, stats: Sequence[Counts], idx: np.ndarray) -> dict[str, np.ndarray]:
        """Scores of many resamples at once: ``idx`` ``[R, n]`` -> ``[R]``."""
        counts = np.asarray(stats, dtype=np.int64).reshape(-1, 4)  # [n, 4]
        return {self.name: _rate(_resampled_totals(idx, counts))}

    def resampler_many(
        self, many: Sequence[Sequence[Counts]]
    ) -> Callable[[np.ndarray], list[dict[str, np.ndarray]]]:
        """:meth:`resample` of several systems on the same samples (a leaderboard column):
        each chunk's draw counts once and one product for all systems (the same numbers).

        >>> from mmbench.metrics.base import get_metric
        >>> scores = get_metric("wer").resampler_many([[(1, 0, 0, 3), (0, 0, 0, 2)],
        ...                                             [(0, 1, 0, 3), (0, 0, 1, 2)]])
        >>> [d["wer"].tolist() for d in scores(np.array([[0, 0], [1, 1]]))]
        [[0.25, 0.0], [0.25, 0.5]]
        """
        counts = np.concatenate(
            [np.asarray(s, dtype=np.int64).reshape(-1, 4) for s in many], axis=1
        )  # [n, 4 S]: system j's (S, D, I, H) in columns 4j..4j+3

        def scores(idx: np.ndarray) -> list[dict[str, np.ndarray]]:
            totals = _resampled_totals(idx, counts)  # [R, 4 S]
            return [{self.name: _rate(totals[:, 4 * j : 4 * j + 4])} for j in range(len(many))]

        return scores

    def signature(self) -> str:
        if self.normalizer_name == "english":
            from mmbench.normalize.asr import whisper_normalizer_version

            norm = f"english(whisper-normalizer {whisper_normalizer_version()})"
        else:
            norm = self.normalizer_name
        return versioned(
            self.name,
            f"norm:{norm}",
            f"unit:{self.unit}",
            "agg:corpus",
            f"jiwer:{_jiwer_version()}",
        )


def _single(refs: Sequence[str], k: int) -> str:
    if len(refs) != 1:
        raise ValueError(
            f"sample {k}: WER/CER take exactly one reference transcript, got {len(refs)}"
        )
    return refs[0]


def _jiwer_version() -> str:
    from importlib import metadata

    return metadata.version("jiwer")


@METRICS.register("wer")
class WER(_ErrorRate):
    """Corpus word error rate; ``extras``: substitutions, deletions, insertions, hits."""

    name = "wer"
    keys = ("wer",)
    unit = "word"

    def _process(self, references: list[str], hypotheses: list[str]) -> Any:
        import jiwer

        return jiwer.process_words(references, hypotheses)


@METRICS.register("cer")
class CER(_ErrorRate):
    """Corpus character error rate (spaces count as characters, as in ``jiwer.cer``)."""

    name = "cer"
    keys = ("cer",)
    unit = "char"

    def _process(self, references: list[str], hypotheses: list[str]) -> Any:
        import jiwer

        return jiwer.process_characters(references, hypotheses)
