import json

import pytest

from mmbench.experiments.robustness import (
    Point,
    Report,
    conditions,
    markdown,
    parse_severities,
    robustness,
    summarize,
)
from mmbench.perturb import PerturbationError
from mmbench.runner import RunConfig
from mmbench.tasks import load_task


def test_conditions_expand_families_and_keep_explicit_specs():
    conds = conditions(["image:all", "audio:white_noise@snr=3", "missing:text"], [2])
    assert conds[0] == ("clean", 0, "")
    assert len(conds) == 1 + 7 + 1 + 1
    assert ("audio:white_noise", 0, "audio:white_noise@snr=3") in conds
    assert conds[-1] == ("missing:text", 0, "missing:text")
    assert ("image:pixelate", 2, "image:pixelate@2") in conds


@pytest.mark.parametrize("bad", ["0-2", "x", "6", ""])
def test_bad_severities(bad):
    with pytest.raises(PerturbationError):
        parse_severities(bad)


def _point(model, pert, sev, score):
    spec = "" if pert == "clean" else f"{pert}@{sev}" if sev else pert
    return Point(model, pert, sev, spec, score, None, 10, 0, "")


def test_summaries_from_points():
    r = Report("t", "vqa_accuracy", True, "m", "b")
    r.points = [
        _point(model, pert, sev, score)
        for model, curve in (("m", (0.9, 0.8, 0.6, 0.5)), ("b", (0.8, 0.6, 0.4, 0.3)))
        for (pert, sev), score in zip(
            [("clean", 0), ("image:jpeg", 1), ("image:jpeg", 5), ("missing:image", 0)],
            curve,
            strict=True,
        )
    ]
    summarize(r)
    (m, b) = r.summaries
    assert (m.model, m.perturbation, b.model) == ("m", "image:jpeg", "b")
    # levels 0, 0.2, 1.0: (0.9 + 0.8) * 0.1 + (0.8 + 0.6) * 0.4
    assert m.relative_robustness == pytest.approx(0.17 + 0.56)
    assert m.effective_robustness == pytest.approx(0.0 + 0.1 + 0.1)
    assert m.corruption_error == pytest.approx(100 * (0.2 + 0.4) / (0.4 + 0.6))
    assert m.relative_corruption_error == pytest.approx(100 * (0.1 + 0.3) / (0.2 + 0.4))
    assert b.effective_robustness is None and r.mce == pytest.approx(m.corruption_error)
    table = markdown(r)
    assert "| m | missing:image | - | 0.5000 | -0.4000 | 0 |" in table
    assert "mCE 60.00% · relative mCE 66.67% (baseline b = 100%)" in table


def test_a_baseline_that_never_degrades_leaves_relative_ce_undefined():
    r = Report("t", "vqa_accuracy", True, "m", "prior")
    r.points = [_point("m", "clean", 0, 0.9), _point("m", "image:jpeg", 3, 0.7)]
    r.points += [_point("prior", "clean", 0, 0.6), _point("prior", "image:jpeg", 3, 0.6)]
    summarize(r)
    assert r.summaries[0].relative_corruption_error is None and r.relative_mce is None
    assert r.summaries[0].corruption_error == pytest.approx(75.0)  # 0.3 / 0.4
    assert "relative mCE - (baseline prior = 100%)" in markdown(r)


def test_sweep_writes_table_json_and_plot_and_accuracy_falls(tmp_path):
    cfg = RunConfig(out_dir=tmp_path, limit=48, progress=False, n_resamples=100, flops=False)
    report, paths = robustness("ref-gated", load_task("easyvqa"), ["image:gaussian_noise",
                               "missing:image"], [1, 5], cfg, baseline="prior")  # fmt: skip
    by = {(p.model, p.spec): p for p in report.points}
    clean = by[("ref-gated", "")].score
    assert clean > by[("ref-gated", "image:gaussian_noise@5")].score
    assert by[("ref-gated", "image:gaussian_noise@5")].ci95 is not None
    # prior never looks at the image: the same score under image noise
    assert by[("prior", "")].score == by[("prior", "image:gaussian_noise@5")].score
    saved = json.loads(paths["json"].read_text())
    assert saved["baseline"] == "prior" and len(saved["points"]) == 8
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "image:gaussian_noise@5" in paths["md"].read_text()
    # every condition is a normal run: a rerun resumes and gives the same report
    again, _ = robustness("ref-gated", load_task("easyvqa"), ["image:gaussian_noise",
                          "missing:image"], [1, 5], cfg, baseline="prior")  # fmt: skip
    assert [p.score for p in again.points] == [p.score for p in report.points]
