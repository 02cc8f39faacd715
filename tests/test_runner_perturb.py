"""``--perturb`` in the runner: identity, separate predictions, missing modalities."""

import json
from pathlib import Path

import pytest

from mmbench.adapters.base import ModelContext, build_model, required_modalities
from mmbench.adapters.reference import shipped_tasks
from mmbench.registry import MODELS
from mmbench.results import validate
from mmbench.runner import RunAborted, RunConfig, run_task
from mmbench.tasks import load_task
from mmbench.types import Modality

EASYVQA = load_task("easyvqa")


def cfg(tmp_path: Path, **kw) -> RunConfig:
    return RunConfig(out_dir=tmp_path, progress=False, n_resamples=0, flops=False, **kw)


def test_perturbed_and_clean_runs_keep_separate_predictions(tmp_path):
    clean = run_task("prior", EASYVQA, cfg(tmp_path, limit=60)).record
    typo = run_task("prior", EASYVQA, cfg(tmp_path, limit=60, perturb=("text:word_drop@5",)))
    rec = typo.record
    validate(rec)
    assert "perturbation" not in clean
    assert rec["perturbation"]["spec"] == "text:word_drop@5"
    assert rec["perturbation"]["steps"][0]["params"] == {"rate": 0.5}
    assert rec["predictions_file"] != clean["predictions_file"]
    assert typo.path.name == "easyvqa__prior__text_word_drop_5.json"
    assert json.loads((tmp_path / "results" / "easyvqa__prior.json").read_text()) == clean
    (sig,) = [s["signature"] for s in rec["scores"].values()]
    assert sig.endswith("|perturb:text:word_drop@5")
    assert rec["scores"]["vqa_accuracy"]["value"] < clean["scores"]["vqa_accuracy"]["value"]
    header = json.loads(Path(rec["predictions_file"]).read_text().splitlines()[0])["header"]
    assert header["perturbation"]["key"] == rec["perturbation"]["key"]
    # a rerun resumes from its own file: nothing predicted again, same scores
    again = run_task("prior", EASYVQA, cfg(tmp_path, limit=60, perturb=("text:word_drop@5",)))
    assert again.record["scores"] == rec["scores"]
    assert len(Path(rec["predictions_file"]).read_text().splitlines()) == 61


def test_missing_text_scores_as_the_empty_question(tmp_path):
    rec = run_task("echo", EASYVQA, cfg(tmp_path, limit=20, perturb=("missing:text",))).record
    assert rec["n_errors"] == 0
    preds = [json.loads(x) for x in Path(rec["predictions_file"]).read_text().splitlines()[1:]]
    assert {p["prediction"] for p in preds} == {""}


class NeedsImage:
    """A model that declares the image required."""

    name = "needs-image"
    modalities = (Modality.IMAGE, Modality.TEXT)
    required_modalities = (Modality.IMAGE,)

    def predict(self, samples):
        return [str(s.image.shape) for s in samples]


class Undeclared(NeedsImage):
    """No ``required_modalities``: every consumed modality counts as required."""

    name = "undeclared"
    required_modalities = None


@pytest.mark.parametrize("model", [NeedsImage(), Undeclared()])
def test_a_model_requiring_a_missing_modality_gets_a_per_sample_error(tmp_path, model):
    run = run_task(model.name, EASYVQA, cfg(tmp_path, limit=10, perturb=("missing:image",)),
                   model=model)  # fmt: skip
    rec = run.record
    assert rec["n_errors"] == 10
    assert all(
        e["error"] == f"missing modality: {model.name!r} requires image (missing:image)"
        for e in rec["errors"]
    )
    assert rec["scores"]["vqa_accuracy"]["value"] == 0.0
    with pytest.raises(RunAborted, match="requires image"):
        run_task(model.name, EASYVQA, cfg(tmp_path / "ff", limit=4, perturb=("missing:image",),
                 fail_fast=True), model=model)  # fmt: skip
    ok = run_task(model.name, EASYVQA, cfg(tmp_path, limit=10, perturb=("missing:text",)),
                  model=NeedsImage())  # fmt: skip
    assert ok.record["n_errors"] == 0


def _shipped_cases():
    cases = []
    for name in MODELS.names():
        if name in ("ref", "openai", "hf"):
            continue  # ref, hf: any checkpoint (ref-<fusion>; tests/adapters/hf); openai: a server
        spec = "constant:yes" if name == "constant" else name
        variant = name.removeprefix("ref-")
        for task in ("easyvqa", "spoken_vqa", "shapes_caption", "spoken_shapes"):
            reference = name.startswith("ref-") or name == "seed"
            if reference and task not in shipped_tasks(variant):
                continue
            if name == "sphinx" and task != "spoken_shapes":
                continue  # speech recognition only
            cases.append((spec, task))
    return cases


@pytest.mark.parametrize("spec, task", _shipped_cases())
def test_missing_modalities_reach_every_shipped_model_without_error(tmp_path, spec, task):
    t = load_task(task)
    probe = next(iter(t.samples()))
    for modality in probe.modalities:
        perturb = (f"missing:{modality.value}",)
        rec = run_task(spec, t, cfg(tmp_path, limit=6, batch_size=3, perturb=perturb)).record
        assert rec["perturbation"]["spec"] == perturb[0]
        model = build_model(spec, ModelContext(task=t))
        if modality in required_modalities(model):  # e.g. sphinx without audio: named errors
            assert rec["n_errors"] == 6
            assert all(f"requires {modality.value}" in e["error"] for e in rec["errors"])
        else:
            assert rec["n_errors"] == 0, rec["errors"]
