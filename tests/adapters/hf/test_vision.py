"""``hf:`` captioning and VQA on tiny checkpoints of every family: outputs equal calling the
transformers model directly (greedy ``generate`` per sample), batches equal single samples."""

from __future__ import annotations

import functools
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from mmbench.adapters.base import ModelBuildError, ModelContext, build_model
from mmbench.adapters.hf.vision import vqa_answer
from mmbench.api import evaluate
from mmbench.datasets.media import load_image
from mmbench.tasks import load_task
from mmbench.types import Sample

transformers = pytest.importorskip("transformers", reason="the 'hf' extra is not installed")
torch = pytest.importorskip("torch")

CAPTION = ("blip", "git", "vision-encoder-decoder", "llava")
VQA = ("vilt", "blip-vqa", "llava")
MODULES = {
    "blip": "BlipForConditionalGeneration",
    "git": "GitForCausalLM",
    "vision-encoder-decoder": "VisionEncoderDecoderModel",
    "vilt": "ViltForQuestionAnswering",
    "blip-vqa": "BlipForQuestionAnswering",
    "llava": "AutoModelForImageTextToText",
}


@pytest.fixture(scope="module")
def captions() -> list[Sample]:
    return list(load_task("shapes_caption").samples(None))[:3]


@pytest.fixture(scope="module")
def questions() -> list[Sample]:
    """Questions of different lengths (padding is exercised), on different images."""
    samples = list(load_task("easyvqa").samples(None))[:60]
    by_length: dict[int, Sample] = {}
    for s in samples:
        by_length.setdefault(len(str(s.text).split()), s)
    picked = list(by_length.values())[:4]
    assert len({len(str(s.text).split()) for s in picked}) >= 3
    return picked


def _image(sample: Sample) -> Any:
    from PIL import Image

    return Image.fromarray(load_image(sample))


@functools.cache
def _loaded(folder: Path, family: str) -> Any:
    return getattr(transformers, MODULES[family]).from_pretrained(folder).eval()


def direct(folder: Path, family: str, sample: Sample, task: Any, **settings: Any) -> str:
    """The answer for one sample from transformers itself (no mmbench code but
    :func:`vqa_answer`, the documented post-processing of generated VQA answers)."""
    model = _loaded(folder, family)
    settings = {"do_sample": False, "num_beams": 1, **settings}
    settings.setdefault("max_new_tokens", task.defaults["max_new_tokens"])
    image = _image(sample)
    with torch.inference_mode():
        if family == "vision-encoder-decoder":
            processor = transformers.AutoImageProcessor.from_pretrained(folder)
            pixel_values = processor(images=[image], return_tensors="pt")["pixel_values"]
            tokenizer = transformers.AutoTokenizer.from_pretrained(folder)
            out = model.generate(pixel_values=pixel_values, **settings)
            return tokenizer.decode(out[0], skip_special_tokens=True).strip()
        processor = transformers.AutoProcessor.from_pretrained(folder)
        if family == "vilt":
            inputs = processor(images=[image], text=[sample.text], return_tensors="pt")
            return model.config.id2label[int(model(**inputs).logits[0].argmax())]
        if family == "llava":
            text = task.prompt if sample.text is None else f"{sample.text}\n{task.prompt}"
            turn = [{"type": "image"}, {"type": "text", "text": text}]
            chat = processor.apply_chat_template(
                [{"role": "user", "content": turn}], add_generation_prompt=True
            )
            inputs = processor(text=[chat], images=[image], return_tensors="pt")
            out = model.generate(**inputs, **settings)[:, inputs["input_ids"].shape[1] :]
        else:
            text = {} if sample.text is None else {"text": [sample.text]}
            out = model.generate(
                **processor(images=[image], **text, return_tensors="pt"), **settings
            )
        answer = processor.decode(out[0], skip_special_tokens=True)
    return answer.strip() if sample.text is None else vqa_answer(answer)


def _check_family(
    folder: Path, family: str, task_name: str, samples: Sequence[Sample], **args: str
) -> list[str]:
    task = load_task(task_name)
    model = build_model(f"hf:{folder}", ModelContext(task, model_args=args))
    outputs = model.predict(samples)
    assert len(outputs) == len(samples) and all(isinstance(t, str) for t in outputs)
    assert model.predict(samples) == outputs  # deterministic
    assert [model.predict([s])[0] for s in samples] == outputs  # padding changes nothing
    settings = {k: int(v) for k, v in args.items()}
    assert outputs == [direct(folder, family, s, task, **settings) for s in samples]
    return outputs


@pytest.mark.parametrize("family", CAPTION)
def test_captioning_equals_transformers(tiny_checkpoint, captions, family):
    folder = tiny_checkpoint(family)
    outputs = _check_family(folder, family, "shapes_caption", captions, max_new_tokens="8")
    assert len(set(outputs)) > 1 or family == "blip"  # the images matter


@pytest.mark.parametrize("family", VQA)
def test_vqa_equals_transformers(tiny_checkpoint, questions, family):
    _check_family(tiny_checkpoint(family), family, "easyvqa", questions)


def test_vilt_answers_the_label_of_its_argmax(tiny_checkpoint, questions):
    from tests.fixtures.hf_models import VILT_ANSWERS

    folder = tiny_checkpoint("vilt")
    model = build_model(f"hf:{folder}", ModelContext(load_task("easyvqa")))
    answers = model.predict(questions)
    vilt = transformers.ViltForQuestionAnswering.from_pretrained(folder).eval()
    processor = transformers.AutoProcessor.from_pretrained(folder)
    for sample, answer in zip(questions, answers, strict=True):
        inputs = processor(images=[_image(sample)], text=[sample.text], return_tensors="pt")
        with torch.inference_mode():
            logits = vilt(**inputs).logits[0]  # [n_answers]
        assert answer == VILT_ANSWERS[int(logits.argmax())]
    info = model.info()
    assert info["generation"] is None and info["prompt"] is None and info["postprocess"] is None


def test_beam_search_on_request(tiny_checkpoint, captions):
    folder = tiny_checkpoint("blip")
    task = load_task("shapes_caption")
    args = {"num_beams": "2", "max_new_tokens": "6"}
    model = build_model(f"hf:{folder}", ModelContext(task, model_args=args))
    assert model.info()["generation"]["num_beams"] == 2
    assert model.predict(captions[:2]) == [
        direct(folder, "blip", s, task, num_beams=2, max_new_tokens=6) for s in captions[:2]
    ]


def test_a_run_records_prompt_tokens_phases_and_flops(tiny_checkpoint, tmp_path):
    spec = f"hf:{tiny_checkpoint('llava')}"
    common = {"limit": 4, "progress": False, "warmup": 0, "out_dir": tmp_path}
    plain = evaluate(spec, "easyvqa", **common).record
    asked = evaluate(spec, "easyvqa", **common, model_args={"prompt": "One word."}).record
    task_prompt = load_task("easyvqa").prompt
    assert plain["task"]["prompt"] == asked["task"]["prompt"] == task_prompt
    assert plain["model"]["info"]["prompt"] == task_prompt
    assert asked["model"]["info"]["prompt"] == "One word." == asked["model"]["args"]["prompt"]
    assert plain["model"]["fingerprint"] != asked["model"]["fingerprint"]
    profile = plain["profile"]
    assert profile["tokens"]["source"] == "model"
    assert 4 <= profile["tokens"]["generated"] <= 4 * 4  # 4 samples, max_new_tokens 4
    assert {"predict.preprocess", "predict.generate", "predict.decode"} <= set(profile["phases_s"])
    assert profile["flops"]["per_sample"] > 0 and profile["flops"]["parameters"] > 0
    assert plain["n_errors"] == 0 and plain["model"]["name"] == "hf:llava"


def test_what_a_family_cannot_do_is_one_message(tiny_checkpoint, tmp_path):
    caption = ModelContext(load_task("shapes_caption"))
    unsupported = "ViltForQuestionAnswering .*cannot run on a caption task"
    with pytest.raises(ModelBuildError, match=unsupported):
        build_model(f"hf:{tiny_checkpoint('vilt')}", caption)
    with pytest.raises(ModelBuildError, match="prompt does not apply"):
        spec = f"hf:{tiny_checkpoint('blip')}"
        build_model(spec, ModelContext(caption.task, model_args={"prompt": "Describe."}))
    bare = tmp_path / "llava"
    shutil.copytree(tiny_checkpoint("llava"), bare)
    (bare / "chat_template.jinja").unlink()
    with pytest.raises(ModelBuildError, match="has no chat template"):
        build_model(f"hf:{bare}", caption)
