"""torchmetrics wrappers: same numbers as mmbench, state = sufficient statistics (merge exact)."""

import pytest

torch = pytest.importorskip("torch")

from mmbench.integrations.torchmetrics import (  # noqa: E402
    CharErrorRate,
    ExactMatch,
    VQAAccuracy,
    WordErrorRate,
)
from mmbench.metrics.base import get_metric  # noqa: E402

REFS = ["THE CAT SAT ON THE MAT", "HELLO WORLD", "A B C D", "GOOD MORNING"]
HYPS = ["the cat sat on mat", "hello word", "", "good morning to you"]


@pytest.mark.parametrize(("cls", "name"), [(WordErrorRate, "wer"), (CharErrorRate, "cer")])
def test_error_rates_batched_and_merged_equal_mmbench(cls, name):
    expected = get_metric(name).score(get_metric(name).stats(HYPS, REFS))[name]
    m = cls()
    for k in range(len(REFS)):  # one sample per update
        m.update(HYPS[k : k + 1], REFS[k : k + 1])
    assert float(m.compute()) == pytest.approx(expected, abs=1e-12)
    # two "ranks": merging states (what a distributed sum-reduce does) gives the corpus value
    a, b = cls(), cls()
    a.update(HYPS[:1], REFS[:1])
    b.update(HYPS[1:], REFS[1:])
    a.merge_state(b)
    assert float(a.compute()) == pytest.approx(expected, abs=1e-12)
    assert a.counts.tolist() == list(
        get_metric(name).extras(get_metric(name).stats(HYPS, REFS)).values()
    )


def test_vqa_and_exact_match():
    refs = [["2"] * 3 + ["3"] * 7, ["yes"] * 10, ["red"] * 10]
    preds = ["two", "yes", "blue"]
    m = VQAAccuracy()
    m.update(preds[:2], refs[:2])
    m.update(preds[2:], refs[2:])
    assert float(m.compute()) == pytest.approx((0.9 + 1.0 + 0.0) / 3)
    legacy = VQAAccuracy(rules="legacy")
    legacy.update(["The Red"], [["red"] * 10])
    assert float(legacy.compute()) == 1.0
    em = ExactMatch()
    em.update(["Red", "x"], [["red"], ["y"]])
    assert float(em.compute()) == 0.5
