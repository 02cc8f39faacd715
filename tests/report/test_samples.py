"""The sample browser's choices: contested samples and each model's worst and best."""

import random

from mmbench.report.samples import contested


def _values(seed: int, models: int = 7, samples: int = 60) -> dict[str, dict[str, float]]:
    rng = random.Random(seed)
    ids = [f"s{k:03d}" for k in range(samples)]
    # few distinct values, so spreads tie and the id decides
    return {f"m{j}": {i: rng.choice([0.0, 0.3, 0.6, 1.0]) for i in ids} for j in range(models)}


def test_contested_the_same_whether_the_models_list_samples_alike_or_not():
    """Models that list the same samples in the same order take the array path; one model
    listing them in another order takes the loop: the same samples, in the same order."""
    for seed in range(5):
        aligned = _values(seed)
        shuffled = dict(aligned)
        items = list(shuffled["m3"].items())
        random.Random(seed).shuffle(items)
        shuffled["m3"] = dict(items)
        for k in (1, 10, 60):
            found = contested(aligned, k)
            assert found == contested(shuffled, k)
            assert len(found) == k
    values = _values(0)
    spread = {
        i: max(v[i] for v in values.values()) - min(v[i] for v in values.values())
        for i in values["m0"]
    }
    top = contested(values, 10)
    assert [spread[i] for i in top] == sorted((spread[i] for i in top), reverse=True)
    assert min(spread[i] for i in top) >= max(spread[i] for i in spread if i not in top)
