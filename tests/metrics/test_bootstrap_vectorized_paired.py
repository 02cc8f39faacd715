"""Bootstrap CIs (vectorized path == per-resample path), paired bootstrap test sanity."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmbench.metrics import bootstrap
from mmbench.metrics.base import get_metric
from mmbench.metrics.bootstrap import (
    bootstrap_scores,
    confidence_intervals,
    paired_bootstrap,
    resample_indices,
)


class _NoFastPath:
    """Wraps a metric and hides its ``resample`` so the generic loop is used."""

    def __init__(self, metric):
        self.metric = metric
        self.keys = metric.keys

    def score(self, stats):
        return self.metric.score(stats)


@pytest.mark.parametrize(("name", "opts"), [("vqa_accuracy", {}), ("wer", {"normalizer": "none"})])
def test_vectorized_equals_generic_loop(name, opts, monkeypatch):
    metric = get_metric(name, **opts)
    rng = np.random.default_rng(0)
    if name == "wer":
        stats = [tuple(int(x) for x in rng.integers(0, 6, size=4)) for _ in range(97)]
    else:
        stats = list(rng.choice([0.0, 0.3, 0.6, 0.9, 1.0], size=97))
    monkeypatch.setattr(bootstrap, "CHUNK_ELEMENTS", 500)  # several chunks
    fast = bootstrap_scores(metric, stats, 120, seed=7)
    slow = bootstrap_scores(_NoFastPath(metric), stats, 120, seed=7)
    np.testing.assert_allclose(fast[name], slow[name], rtol=0, atol=1e-12)


def test_chunks_reproduce_one_index_matrix(monkeypatch):
    monkeypatch.setattr(bootstrap, "CHUNK_ELEMENTS", 70)
    chunks = np.concatenate(list(bootstrap.index_chunks(30, 25, seed=3)))
    np.testing.assert_array_equal(chunks, resample_indices(30, 25, seed=3))


def test_seeded_and_reproducible():
    m = get_metric("vqa_accuracy")
    stats = list(np.linspace(0, 1, 50))
    assert confidence_intervals(m, stats, seed=1) == confidence_intervals(m, stats, seed=1)
    assert confidence_intervals(m, stats, seed=1) != confidence_intervals(m, stats, seed=2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.3, 0.6, 0.9, 1.0]), min_size=2, max_size=40))
def test_vqa_scores_in_range_and_ci_contains_estimate(values):
    m = get_metric("vqa_accuracy")
    score = m.score(values)["vqa_accuracy"]
    lo, hi = confidence_intervals(m, values, n_resamples=200)["vqa_accuracy"]
    assert 0.0 <= lo <= score <= hi <= 1.0


def test_paired_identical_systems():
    m = get_metric("vqa_accuracy")
    stats = list(np.random.default_rng(1).choice([0.0, 1.0], size=300))
    r = paired_bootstrap(m, stats, stats)
    assert r.delta == 0.0 and r.ci95 == (0.0, 0.0) and r.p_value == 1.0


def test_paired_detects_a_real_difference():
    rng = np.random.default_rng(2)
    a = rng.choice([0.0, 1.0], size=500, p=[0.5, 0.5])
    b = np.where(rng.random(500) < 0.3, 1.0, a)  # B fixes ~30% of A's items
    r = paired_bootstrap(get_metric("vqa_accuracy"), list(a), list(b), n_resamples=500)
    assert r.delta > 0.1
    assert r.ci95[0] > 0 and r.p_value < 0.01
    assert r.to_json()["ci95"] == list(r.ci95)


def test_paired_wer_and_mismatch():
    m = get_metric("wer", normalizer="none")
    a = m.stats(["a b c"] * 20, ["a b d"] * 20)
    b = m.stats(["a b d"] * 20, ["a b d"] * 20)
    r = paired_bootstrap(m, a, b, n_resamples=100)
    assert r.delta == pytest.approx(-1 / 3) and r.ci95[1] < 0  # B has lower WER
    with pytest.raises(ValueError, match="same samples"):
        paired_bootstrap(m, a, b[:3])


def test_many_metrics_share_one_draw_and_match_each_alone(monkeypatch):
    from mmbench.datasets._synthetic_captions import coco_caption_files
    from mmbench.metrics.bootstrap import confidence_intervals_many

    monkeypatch.setattr(bootstrap, "CHUNK_ELEMENTS", 3000)  # several index chunks
    ann, res = coco_caption_files(80, seed=4)
    refs: dict[int, list[str]] = {}
    for a in ann["annotations"]:
        refs.setdefault(a["image_id"], []).append(a["caption"])
    preds, refl = [r["caption"] for r in res], [refs[r["image_id"]] for r in res]
    jobs = [(m, m.stats(preds, refl)) for m in map(get_metric, ("bleu", "rouge_l", "cider"))]
    together = confidence_intervals_many(jobs, n_resamples=150, seed=9)
    assert together == [confidence_intervals(m, s, n_resamples=150, seed=9) for m, s in jobs]
    with pytest.raises(ValueError, match="sample count"):
        bootstrap.bootstrap_scores_many([jobs[0], (jobs[1][0], jobs[1][1][:5])], 10, 0)


def test_threads_and_chunks_give_the_same_numbers(monkeypatch):
    """Chunks scored on several threads: each resample's value as on one thread, in order."""
    from mmbench.metrics._captions import tokenize_captions

    rng = np.random.default_rng(2)
    words = np.array(["a", "man", "dog", "on", "the", "red", "bus", "is", "riding"])
    preds = [" ".join(rng.choice(words, size=5)) for _ in range(40)]
    refs = [[" ".join(rng.choice(words, size=6)) for _ in range(3)] for _ in range(40)]
    caps = tokenize_captions(preds, refs)
    jobs = [(m, m.stats_tokenized(caps)) for m in map(get_metric, ("bleu", "rouge_l", "cider"))]
    monkeypatch.setattr(bootstrap, "CHUNK_ELEMENTS", 40 * 7)  # chunks of at most 7 rows
    one = bootstrap.bootstrap_scores_many(jobs, 90, seed=5, workers=1)
    for workers in (2, 3):
        many = bootstrap.bootstrap_scores_many(jobs, 90, seed=5, workers=workers)
        for a, b in zip(one, many, strict=True):
            assert a.keys() == b.keys()
            for key in a:
                assert len(b[key]) == 90
                np.testing.assert_array_equal(a[key], b[key])


def test_a_slow_set_up_gets_its_own_pass_and_the_same_numbers(monkeypatch):
    """The quick scorers share one pass over the chunks while a slow set-up runs on the
    other thread; the slow one then draws the same chunks again: the same numbers."""
    import threading

    from mmbench.metrics._captions import tokenize_captions

    rng = np.random.default_rng(3)
    words = np.array(["a", "man", "dog", "on", "the", "red", "bus"])
    preds = [" ".join(rng.choice(words, size=5)) for _ in range(30)]
    refs = [[" ".join(rng.choice(words, size=6)) for _ in range(2)] for _ in range(30)]
    caps = tokenize_captions(preds, refs)
    jobs = [(m, m.stats_tokenized(caps)) for m in map(get_metric, ("bleu", "rouge_l", "cider"))]
    one = bootstrap.bootstrap_scores_many(jobs, 60, seed=2, workers=1)
    cider_metric = jobs[2][0]
    quick_done = threading.Event()
    slow_build = cider_metric.resampler

    def held_back(stats):  # CIDEr-D's set-up waits until a pass has begun
        quick_done.wait(timeout=10)
        return slow_build(stats)

    draws = []
    real_chunks = bootstrap.index_chunks

    def counted(*args, **kwargs):
        draws.append(args)
        quick_done.set()
        return real_chunks(*args, **kwargs)

    monkeypatch.setattr(cider_metric, "resampler", held_back)
    monkeypatch.setattr(bootstrap, "index_chunks", counted)
    two = bootstrap.bootstrap_scores_many(jobs, 60, seed=2, workers=2)
    assert len(draws) in (2, 3)  # BLEU and ROUGE-L (together unless one lagged), CIDEr-D
    for a, b in zip(one, two, strict=True):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
