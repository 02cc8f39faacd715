import pytest

from mmbench.experiments import robustness_metrics as rm


def test_relative_robustness_is_multibench_trapezoid_area():
    # MultiBench: 11 levels 0.0..1.0, spacing 0.1, area += (f_i + f_i+1) * 0.1 / 2
    scores = [0.9, 0.85, 0.8, 0.7, 0.65, 0.6, 0.5, 0.4, 0.35, 0.3, 0.2]
    expected = sum((a + b) * 0.1 / 2 for a, b in zip(scores, scores[1:], strict=False))
    levels = [i / 10 for i in range(11)]
    assert rm.relative_robustness(scores, levels) == pytest.approx(expected)
    assert rm.relative_robustness([0.5] * 6, [rm.noise_level(s) for s in range(6)]) == 0.5


def test_effective_robustness_shifts_the_baseline_to_the_same_clean_score():
    model, base = [0.8, 0.7, 0.6], [0.9, 0.6, 0.3]
    # beta = base + (0.8 - 0.9) = [0.8, 0.5, 0.2]; sum(model - beta) = 0 + 0.2 + 0.4
    assert rm.effective_robustness(model, base) == pytest.approx(0.6)
    assert rm.effective_robustness(base, base) == 0.0
    with pytest.raises(ValueError):
        rm.effective_robustness([0.1], [0.1, 0.2])


def test_corruption_errors():
    assert rm.error(0.75, True) == 0.25 and rm.error(0.12, False) == 0.12
    assert rm.corruption_error([0.3, 0.5], [0.6, 1.0]) == pytest.approx(50.0)
    assert rm.corruption_error([0.3], [0.0]) is None
    # degradation 0.1 + 0.3 against the baseline's 0.2 + 0.6
    assert rm.relative_corruption_error([0.3, 0.5], 0.2, [0.6, 1.0], 0.4) == pytest.approx(50.0)
    assert rm.relative_corruption_error([0.3], 0.2, [0.4], 0.4) is None
