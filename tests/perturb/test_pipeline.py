import pickle

import numpy as np
import pytest

from mmbench.perturb import PerturbationError, Pipeline, expand, parse_one
from mmbench.registry import PERTURBATIONS
from mmbench.types import MediaError, Modality, Sample, TaskKind


def test_every_registered_perturbation_has_a_documented_table():
    for name, d in PERTURBATIONS.items():
        assert d.name == name and d.source
        if not d.missing:
            assert d.param and len(d.levels) == 5 and d.fn.__doc__


@pytest.mark.parametrize(
    "spec, canonical, value",
    [
        ("image:gaussian_noise@3", "image:gaussian_noise@3", 0.18),
        ("audio:white_noise@snr=10", "audio:white_noise@snr=10", 10.0),
        ("audio:white_noise@5", "audio:white_noise@5", 0.0),
        ("image:jpeg@quality=33,seed=4", "image:jpeg@quality=33,seed=4", 33.0),
        (" text:typo@ 2 ", "text:typo@2", 0.05),
        ("missing:image", "missing:image", None),
    ],
)
def test_parse(spec, canonical, value):
    step = parse_one(spec)
    assert step.spec == canonical and step.value == value
    assert parse_one(step.spec) == step  # the canonical spec parses back to the same step


@pytest.mark.parametrize(
    "spec, message",
    [
        ("image:gausian_noise@3", "Did you mean: image:gaussian_noise"),
        ("image:gaussian_noise", "give a severity"),
        ("image:gaussian_noise@6", "severity must be 1-5"),
        ("image:gaussian_noise@3,sigma=0.1", "not both"),
        ("image:jpeg@snr=3", "has no parameter 'snr'"),
        ("image:jpeg@x", "is not a number"),
        ("missing:image@2", "takes no severity"),
        ("image:all", "unknown perturbation"),
    ],
)
def test_bad_specs_say_what_to_write(spec, message):
    with pytest.raises(PerturbationError, match=message):
        Pipeline.parse([spec])


def test_families():
    assert len(expand("image:all")) == 7 and len(expand("audio:all")) == 6
    assert expand("missing:all") == ["missing:audio", "missing:image", "missing:text"]
    with pytest.raises(PerturbationError):
        expand("video:all")


def test_identity_covers_every_parameter_and_seed():
    keys = {
        Pipeline.parse([s]).key
        for s in ("image:jpeg@2", "image:jpeg@3", "image:jpeg@quality=18", "image:jpeg@2,seed=1")
    }
    assert len(keys) == 4  # quality=18 is severity 2's value, but written without a severity
    pipe = Pipeline.parse(["image:jpeg@2", "missing:text"])
    assert pipe.to_json()["steps"][0] == {
        "name": "image:jpeg", "modality": "image", "severity": 2, "params": {"quality": 18.0},
        "seed": 0, "version": 1,
    }  # fmt: skip
    assert Pipeline.parse(["image:jpeg@2+missing:text"]) == pipe
    assert pickle.loads(pickle.dumps(pipe)) == pipe


def test_decode_applies_steps_in_order_and_drops_missing(tmp_path):
    from PIL import Image

    path = tmp_path / "img.png"
    Image.fromarray(np.full((16, 16, 3), 100, np.uint8)).save(path)
    s = Sample(id="q1", kind=TaskKind.VQA, image_path=path, text="what shape is it")
    out = Pipeline.parse(["image:brightness@5", "text:word_drop@5"]).decode(s)
    assert out.image.max() > 200 and out.text != s.text and s.image is None
    gone = Pipeline.parse(["missing:image"]).decode(s, {Modality.IMAGE, Modality.TEXT})
    assert gone.image is None and gone.image_path is None and not gone.has(Modality.IMAGE)
    assert gone.text == s.text
    no_text = Pipeline.parse(["missing:text", "text:typo@3"]).decode(s, set())
    assert no_text.text is None


def test_a_failing_step_is_a_media_error_naming_sample_and_step(tmp_path):
    s = Sample(id="q9", kind=TaskKind.VQA, image=np.zeros((4, 4, 2), np.uint8))  # not RGB
    with pytest.raises(MediaError, match=r"'q9'.*image:jpeg@1 failed"):
        Pipeline.parse(["image:jpeg@1"]).decode(s)
