"""``mmbench robustness`` and ``--perturb`` on ``run`` / ``compare`` through the CLI."""

from __future__ import annotations

import json

from mmbench.cli import main


def test_robustness_prints_the_table_and_writes_its_files(tmp_path, capsys):
    args = ["robustness", "--model", "ref-gated", "--task", "easyvqa", "--perturb",
            "image:gaussian_noise", "--severities", "5", "--limit", "32", "--bootstrap", "50",
            "--out", str(tmp_path)]  # fmt: skip
    assert main(args) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "image:gaussian_noise@5" in out and "relative robustness" in out
    for ext in ("json", "md", "png"):
        assert (tmp_path / "robustness" / f"easyvqa__ref-gated.{ext}").is_file()


def test_ls_perturbations_lists_every_one_with_its_table(capsys):
    from mmbench.registry import PERTURBATIONS

    assert main(["ls", "perturbations"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PERTURBATIONS.names())
    assert "0.08, 0.12, 0.18, 0.26, 0.38" in out and "20, 15, 10, 5, 0" in out


def test_bad_specs_exit_2_with_the_fix(tmp_path, capsys):
    base = ["--model", "prior", "--task", "easyvqa", "--out", str(tmp_path)]
    assert main(["run", *base, "--perturb", "image:gausian_noise@3"]) == 2
    assert "Did you mean: image:gaussian_noise" in capsys.readouterr().err
    assert main(["robustness", *base, "--perturb", "image:all", "--severities", "0-9"]) == 2
    assert "severities are 1-5" in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_run_with_perturb_writes_its_own_results(tmp_path):
    args = ["run", "--model", "prior", "--task", "easyvqa", "--limit", "30", "--out",
            str(tmp_path), "--no-progress", "--perturb", "text:typo@4",
            "-p", "missing:image"]  # fmt: skip
    assert main(args) == 0
    (path,) = (tmp_path / "results").glob("*.json")
    rec = json.loads(path.read_text())
    assert rec["perturbation"]["spec"] == "text:typo@4+missing:image"


def test_compare_under_a_perturbation(tmp_path):
    out = tmp_path / "cmp"
    args = ["compare", "--fusion", "gated", "--task", "easyvqa", "--limit", "24", "--perturb",
            "missing:image", "--out", str(out), "--warmup", "0"]  # fmt: skip
    assert main(args) == 0
    (row,) = json.loads((out / "compare.json").read_text())["rows"]
    assert row["perturbation"] == "missing:image" and row["n_samples"] == 24
    assert (out / "compare.md").read_text().startswith("Under perturbation: missing:image")


def test_robustness_model_args_reach_the_model_not_the_baseline(tmp_path, capsys):
    base = ["robustness", "--model", "fake_models:Suffixed", "--task", "easyvqa", "--perturb",
            "text:typo", "--severities", "1", "--limit", "10", "--bootstrap", "0",
            "--out", str(tmp_path), "--threads", "1"]  # fmt: skip
    assert main([*base, "--model-arg", "nope=1"]) == 2
    assert "has no option 'nope'" in capsys.readouterr().err
    assert main([*base, "--model-arg", "suffix=!", "--baseline", "constant:yes"]) == 0
    results = sorted((tmp_path / "results").glob("*.json"))
    answers = {
        json.loads(p.read_text())["model"]["name"]: json.loads(p.read_text())["model"].get("args")
        for p in results
    }
    assert answers["suffixed"] == {"suffix": "!"} and not answers["constant:yes"]
