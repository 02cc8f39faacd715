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

from collections.abc import Sequence
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
        r, n = idx.shape
        drawn = np.bincount((idx + (np.arange(r) * n)[:, None]).ravel(), minlength=r * n)
        # [R, n] times each sample is drawn @ [n, 4] -> [R, 4] summed counts (exact integers)
        return {self.name: _rate(drawn.reshape(r, n) @ counts)}

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
