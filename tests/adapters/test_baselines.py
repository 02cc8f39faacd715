import pytest

from mmbench.adapters.base import ModelBuildError, ModelContext, build_model, fingerprint
from mmbench.adapters.baselines import Prior, question_form
from mmbench.registry import UnknownNameError
from mmbench.tasks import load_task
from mmbench.types import Sample, TaskKind


def vqa(q: str, a: str) -> Sample:
    return Sample(id=q, kind=TaskKind.VQA, text=q, references=(a,))


def test_question_form_masks_answer_words():
    words = {"red", "circle", "yes"}
    assert question_form("Is there a red circle?", words) == "is there a <a> <a>?"


def test_prior_learns_most_frequent_answer_per_form():
    train = [vqa("what color is the circle?", "red")] * 3 + [
        vqa("what color is the circle?", "blue"),
        vqa("is there a red shape?", "no"),
        vqa("is there a blue shape?", "no"),
        vqa("what shape is it?", "circle"),
    ]
    prior = Prior(train, TaskKind.VQA)  # answer words: red, blue, no, circle
    assert prior.table["is there a <a> shape?"] == "no"
    assert prior.table["what color is the <a>?"] == "red"
    # A seen form with other answer words maps to its mode; an unseen form to the overall mode.
    assert prior.predict([vqa("Is there a CIRCLE shape?", "?"), vqa("why?", "?")]) == ["no", "red"]


def test_prior_on_easyvqa_uses_train_split_only():
    task = load_task("easyvqa")
    model = build_model("prior", ModelContext(task=task))
    assert model.info()["n_train"] == 38575
    assert len(model.table) > 5


def test_constant_needs_text_and_unknown_models_suggest():
    task = load_task("easyvqa")
    with pytest.raises(ModelBuildError, match="constant:<text>"):
        build_model("constant", ModelContext(task=task))
    with pytest.raises(UnknownNameError, match="Did you mean: prior"):
        build_model("priorr", ModelContext(task=task))
    with pytest.raises(UnknownNameError):
        build_model("no_such_pkg.mod:factory", ModelContext(task=task))


def test_import_factory_and_fingerprint_changes_with_spec():
    task = load_task("easyvqa")
    model = build_model("fake_models:recording", ModelContext(task=task))
    assert model.name == "recording"
    assert fingerprint(model, "a") != fingerprint(model, "b")
    assert fingerprint(model, "a") == fingerprint(model, "a")
