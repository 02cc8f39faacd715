"""``ref-<fusion>`` / ``seed`` models: shipped weights, info, errors, quality on easyvqa."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil

import pytest

from mmbench.adapters.base import ModelBuildError, ModelContext, build_model
from mmbench.adapters.reference import FUSION_MODELS, shipped_tasks, weights_dir
from mmbench.registry import MODELS
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import load_task
from mmbench.types import Modality


def test_every_fusion_and_seed_is_registered():
    for name in (*FUSION_MODELS, "seed"):
        assert name in MODELS


@pytest.mark.parametrize("name", ["ref-gated", "seed"])
def test_loads_shipped_easyvqa_weights(name):
    model = build_model(name, ModelContext(load_task("easyvqa")))
    info = model.info()
    weights = weights_dir() / f"easyvqa-{name.removeprefix('ref-')}.safetensors"
    assert info["checkpoint_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert info["parameters"] == sum(p.numel() for p in model.module.parameters()) > 0
    assert info["fusion"] == name.removeprefix("ref-")
    assert model.modalities == (Modality.IMAGE, Modality.TEXT)
    assert model.to("cpu") is model


def test_missing_task_lists_tasks_with_weights():
    task = dataclasses.replace(load_task("easyvqa"), name="no_such_task")
    with pytest.raises(ModelBuildError, match="tasks with weights: easyvqa"):
        build_model("ref-concat", ModelContext(task))
    assert "easyvqa" in shipped_tasks("concat")


NEEDS_ESPEAK = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="prior fits on a synthesized train split (espeak-ng)"
)


@pytest.mark.parametrize("task_name", ["easyvqa", pytest.param("spoken_vqa", marks=NEEDS_ESPEAK)])
def test_shipped_model_beats_prior_on_first_300(task_name, tmp_path):
    """On spoken_vqa the model must hear the question to beat the per-answer prior."""
    task = load_task(task_name)
    cfg = RunConfig(out_dir=tmp_path, limit=300, progress=False, workers=0, n_resamples=0)
    ref = run_task("ref-gated", task, cfg).record["scores"]["vqa_accuracy"]["value"]
    prior = run_task("prior", task, cfg).record["scores"]["vqa_accuracy"]["value"]
    assert ref > prior + 0.05, (ref, prior)


def test_picks_the_weights_of_the_task_being_run():
    model = build_model("ref-gated", ModelContext(load_task("shapes_caption")))
    weights = weights_dir() / "shapes_caption-gated.safetensors"
    assert model.info()["checkpoint_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert model.modalities == (Modality.IMAGE,)
    assert "shapes_caption" in shipped_tasks("gated")


@pytest.mark.parametrize(
    ("task", "modalities"),
    [("spoken_vqa", (Modality.IMAGE, Modality.AUDIO)), ("spoken_shapes", (Modality.AUDIO,))],
)
def test_spoken_tasks_load_audio_models(task, modalities):
    model = build_model("ref-gated", ModelContext(load_task(task)))
    assert model.modalities == modalities
    assert model.info()["trained_on"] == task
