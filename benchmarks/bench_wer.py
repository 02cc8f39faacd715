"""Corpus WER on 2,620 generated utterances (LibriSpeech test-clean size): bare ``jiwer.wer``
vs mmbench's WER with normalization (``librispeech`` and Whisper ``english`` presets).

Run: PYTHONPATH=$PWD python benchmarks/bench_wer.py
References are upper-case LibriSpeech-style; hypotheses look like model output (mixed case,
punctuation, substitutions, deletions, insertions). Times: best of 9 runs (shared machine).
"""

from __future__ import annotations

import random

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer

from benchmarks._common import best_of
from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import confidence_intervals
from mmbench.normalize import get_normalizer
from mmbench.normalize.asr import english

WORDS = """
the of and to a in he i that was it his you with had as for her at him not but is
she be on my by have all said so which they were from one this we or there me what
an when would no if are been their them will who could little man very upon don't
it's mister colour twenty thousand himself before great never
""".split()  # noqa: SIM905


def corpus(n: int = 2620, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    refs, hyps = [], []
    for _ in range(n):
        ref = [rng.choice(WORDS) for _ in range(rng.randint(5, 35))]
        hyp = []
        for w in ref:
            r = rng.random()
            if r < 0.03:
                continue
            hyp.append(rng.choice(WORDS) if r < 0.08 else w)
            if rng.random() < 0.02:
                hyp.append(rng.choice(WORDS))
        text = " ".join(hyp).capitalize()
        refs.append(" ".join(ref).upper())
        hyps.append(text.replace(" but ", ", but ") + ("." if hyp else ""))
    return refs, hyps


def main() -> None:
    refs, hyps = corpus()
    print(f"n={len(refs)} utterances, {sum(len(r.split()) for r in refs)} reference words")
    raw = best_of(lambda: jiwer.wer(refs, hyps), 9)
    print(f"jiwer.wer on raw texts (every case mismatch an error): {raw * 1000:.1f} ms")
    norm = get_normalizer("librispeech")
    refs_n, hyps_n = [norm(r) for r in refs], [norm(h) for h in hyps]
    bare = best_of(lambda: jiwer.wer(refs_n, hyps_n), 9)
    print(f"bare jiwer.wer on the same texts already normalized: {bare * 1000:.1f} ms")
    for name in ("none", "librispeech", "english"):
        metric = get_metric("wer", normalizer=name)

        def run(m=metric):
            english.cache_clear()  # cold: no normalization reused between runs
            return m.score(m.stats(hyps, refs))

        secs = best_of(run, 9)
        value = run()["wer"]
        print(
            f"mmbench wer norm={name} (normalization included): {secs * 1000:.1f} ms "
            f"({secs / bare:.2f}x bare jiwer), WER {value:.4f}"
        )
    whisper = EnglishTextNormalizer()  # the peer: the package used directly, then jiwer
    peer = best_of(lambda: jiwer.wer([whisper(r) for r in refs], [whisper(h) for h in hyps]), 9)
    print(f"peer for norm=english: whisper-normalizer + jiwer.wer: {peer * 1000:.1f} ms")
    metric = get_metric("wer", normalizer="librispeech")
    stats = metric.stats(hyps, refs)
    ci = best_of(lambda: confidence_intervals(metric, stats, n_resamples=1000), 3)
    print(f"1000-resample bootstrap CI of WER: {ci * 1000:.1f} ms")


if __name__ == "__main__":
    main()
