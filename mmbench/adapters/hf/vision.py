"""``hf:`` captioning and VQA: image (+ question) -> text.

The checkpoint's config picks the family:

========================  ============================================  =====================
task                      checkpoint                                    how it answers
========================  ============================================  =====================
caption                   ``BlipForConditionalGeneration``              generates
caption                   GIT (``GitForCausalLM``)                      generates
caption                   ``VisionEncoderDecoderModel``                 generates
caption, vqa              any image-text-to-text model with a chat      generates after the
                          template in its processor (LLaVA, Qwen2-VL,   chat template
                          Idefics, SmolVLM, ...)
vqa                       ViLT (``ViltForQuestionAnswering``)           ``id2label`` of the
                                                                        argmax of its logits
vqa                       BLIP-VQA (``BlipForQuestionAnswering``)       generates
========================  ============================================  =====================

Generation is greedy (``num_beams`` > 1: beam search), at most the task's
``max_new_tokens`` (``--model-arg max_new_tokens`` overrides). A batch is padded to its
longest question (on the left for chat models, which continue the text). Chat models get
one user turn: the image, then the question and the prompt on the next line (captioning:
the prompt alone), the prompt being ``--model-arg prompt``, else the task's ``prompt``, else
:data:`mmbench.chat.DEFAULT_PROMPTS`. BLIP, GIT and vision-encoder-decoder captioners and
ViLT read no prompt. Generated VQA answers are post-processed by :func:`vqa_answer` (first
line, stripped, one trailing period removed); captions are only stripped. The prompt and the
post-processing are in ``info()``, so in the fingerprint and the results.

>>> vqa_answer("  Circle.\\nIt is a circle.")
'Circle'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mmbench.adapters.base import ModelBuildError, ModelContext, import_extra
from mmbench.adapters.hf.common import (
    Checkpoint,
    HFModel,
    load_module,
    load_pretrained,
    open_checkpoint,
    parse_options,
    refuse_options,
    stop_token_ids,
)
from mmbench.chat import DEFAULT_PROMPTS
from mmbench.datasets.media import load_image
from mmbench.profiling import model_phase
from mmbench.types import Modality, Sample

#: How generated VQA answers are cleaned (recorded in ``info()``).
VQA_POSTPROCESS = "first line, stripped, one trailing period removed"
_SPEECH_KEYS = ("language", "task")
#: BLIP's text decoder ends at [SEP] (its generate passes sep_token_id as the eos token).
BLIP_STOPS = ("eos_token_id", "pad_token_id", "sep_token_id")
#: Families that read no prompt (a ``--model-arg prompt`` for them is refused).
_NO_PROMPT = "this model reads no prompt (only chat models do)"


def vqa_answer(text: str) -> str:
    """A generated answer cleaned: its first line, stripped, one trailing period removed.

    >>> vqa_answer("yes."), vqa_answer("2.5"), vqa_answer("")
    ('yes', '2.5', '')
    """
    first = text.strip().split("\n", 1)[0].strip()
    return first.removesuffix(".").rstrip()


def images_of(samples: Sequence[Sample]) -> list[Any]:
    """The samples' images as RGB PIL images (what every processor accepts)."""
    from PIL import Image

    return [Image.fromarray(load_image(s)) for s in samples]


def questions_of(samples: Sequence[Sample]) -> list[str]:
    """The samples' questions; a VQA sample without one is an error naming it."""
    missing = [s.id for s in samples if s.text is None]
    if missing:
        raise ValueError(f"sample {missing[0]!r} has no question text")
    return [str(s.text) for s in samples]


class BlipCaptioner(HFModel):
    """BLIP captioning: image -> caption, unconditioned (the decoder starts at its bos)."""

    family = "blip-caption"
    modalities = (Modality.IMAGE,)

    def __init__(self, processor: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.processor = processor
        text_config = getattr(self.ckpt.config, "text_config", self.ckpt.config)
        self.stops = stop_token_ids(text_config, attrs=BLIP_STOPS)

    def predict_batch(self, samples: Sequence[Sample]) -> list[str]:
        with model_phase("preprocess"):
            inputs = self.tensors(self.processor(images=images_of(samples), return_tensors="pt"))
        out = self.generate(inputs)  # [B, 1 + new]: the decoder's bos first
        with model_phase("decode"):
            self.report_generated(out[:, 1:], self.stops)
            return [t.strip() for t in self.processor.batch_decode(out, skip_special_tokens=True)]


class GitCaptioner(BlipCaptioner):
    """GIT captioning: the image tokens, then the text decoder continues from [CLS]."""

    family = "git-caption"


class EncoderDecoderCaptioner(HFModel):
    """``VisionEncoderDecoderModel``: an image processor, a tokenizer, generate from the
    decoder start token."""

    family = "vision-encoder-decoder"
    modalities = (Modality.IMAGE,)

    def __init__(self, image_processor: Any, tokenizer: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.image_processor = image_processor
        self.tokenizer = tokenizer
        self.stops = stop_token_ids(self.ckpt.config, self.ckpt.config.decoder)

    def predict_batch(self, samples: Sequence[Sample]) -> list[str]:
        with model_phase("preprocess"):
            pixels = self.image_processor(images=images_of(samples), return_tensors="pt")
            inputs = self.tensors({"pixel_values": pixels["pixel_values"]})
        out = self.generate(inputs)  # [B, 1 + new]: decoder_start_token_id first
        with model_phase("decode"):
            self.report_generated(out[:, 1:], self.stops)
            return [t.strip() for t in self.tokenizer.batch_decode(out, skip_special_tokens=True)]


class ViltAnswerer(HFModel):
    """ViLT VQA: a classifier over its answer vocabulary; the answer is ``id2label`` of the
    argmax of the logits (nothing is generated)."""

    family = "vilt-vqa"
    modalities = (Modality.IMAGE, Modality.TEXT)
    generates = False

    def __init__(self, processor: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.processor = processor
        self.labels = {int(k): str(v) for k, v in self.ckpt.config.id2label.items()}

    def predict_batch(self, samples: Sequence[Sample]) -> list[str]:
        with model_phase("preprocess"):
            batch = self.processor(
                images=images_of(samples),
                text=questions_of(samples),
                padding=True,
                truncation=True,
                return_tensors="pt",
            )
            inputs = self.tensors(batch)
        with model_phase("forward"):
            logits = self.module(**inputs).logits  # [B, n_answers]
        with model_phase("decode"):
            return [self.labels[int(i)] for i in logits.argmax(-1).tolist()]


class BlipAnswerer(HFModel):
    """BLIP-VQA: image + question -> a generated answer (the answer decoder starts at bos).

    BLIP's answer decoder attends to every position of the encoded question, padding
    included (transformers' ``BlipForQuestionAnswering.generate`` gives it an all-ones mask,
    and in transformers 5 the BLIP text cross-attention drops any mask it is given), so an
    answer to a padded question would depend on the rest of its batch. A batch is therefore
    split by question length and each group generated unpadded: every answer is exactly
    what ``generate`` gives the sample alone.
    """

    family = "blip-vqa"
    modalities = (Modality.IMAGE, Modality.TEXT)
    postprocess = VQA_POSTPROCESS

    def __init__(self, processor: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.processor = processor
        processor.tokenizer.padding_side = "right"  # a group's rows are cut at its length
        text_config = getattr(self.ckpt.config, "text_config", self.ckpt.config)
        self.stops = stop_token_ids(text_config, attrs=BLIP_STOPS)

    def predict_batch(self, samples: Sequence[Sample]) -> list[str]:
        with model_phase("preprocess"):
            batch = self.processor(
                images=images_of(samples),
                text=questions_of(samples),
                padding=True,
                return_tensors="pt",
            )
            inputs = self.tensors(batch)
            lengths = inputs["attention_mask"].sum(1).tolist()  # [B] question tokens
        answers: list[str] = [""] * len(samples)
        for length in sorted(set(lengths)):
            rows = [i for i, n in enumerate(lengths) if n == length]
            group = {
                "pixel_values": inputs["pixel_values"][rows],  # [G, 3, H, W]
                "input_ids": inputs["input_ids"][rows, :length],  # [G, length]
                "attention_mask": inputs["attention_mask"][rows, :length],  # [G, length]
            }
            out = self.generate(group)  # [G, 1 + new]
            with model_phase("decode"):
                self.report_generated(out[:, 1:], self.stops)
                texts = self.processor.batch_decode(out, skip_special_tokens=True)
                for row, text in zip(rows, texts, strict=True):
                    answers[row] = vqa_answer(text)
        return answers


class ChatVLM(HFModel):
    """Any image-text-to-text model through its processor's chat template: one user turn
    (the image, then the text), generation continues after the assistant prompt."""

    family = "image-text-to-text"

    def __init__(self, processor: Any, vqa: bool, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.processor = processor
        self.vqa = vqa
        self.modalities = (Modality.IMAGE, Modality.TEXT) if vqa else (Modality.IMAGE,)
        self.postprocess = VQA_POSTPROCESS if vqa else None
        tokenizer = getattr(processor, "tokenizer", processor)
        tokenizer.padding_side = "left"  # generation continues every row at the same column
        self.stops = stop_token_ids(
            tokenizer,
            getattr(self.module, "generation_config", None),
            getattr(self.ckpt.config, "text_config", self.ckpt.config),
        )

    def user_text(self, sample: Sample) -> str:
        """The text of the user turn: ``"<question>\\n<prompt>"`` (captioning: the prompt;
        an empty prompt adds no line)."""
        question = questions_of([sample])[0] if self.vqa else None
        return "\n".join(t for t in (question, self.prompt) if t)

    def chat_texts(self, samples: Sequence[Sample]) -> list[str]:
        """Each sample's conversation rendered by the chat template, ready for the answer."""
        return [
            self.processor.apply_chat_template(
                [
                    {
                        "role": "user",
                        "content": [
                            {"type": "image"},
                            {"type": "text", "text": self.user_text(s)},
                        ],
                    }
                ],
                add_generation_prompt=True,
                tokenize=False,
            )
            for s in samples
        ]

    def predict_batch(self, samples: Sequence[Sample]) -> list[str]:
        with model_phase("preprocess"):
            batch = self.processor(
                text=self.chat_texts(samples),
                images=[[image] for image in images_of(samples)],  # one image per turn
                padding=True,
                return_tensors="pt",
            )
            inputs = self.tensors(batch)
        out = self.generate(inputs)  # [B, prompt + new]
        with model_phase("decode"):
            new = out[:, inputs["input_ids"].shape[1] :]  # [B, new]
            self.report_generated(new, self.stops)
            texts = self.processor.batch_decode(new, skip_special_tokens=True)
            return [vqa_answer(t) if self.vqa else t.strip() for t in texts]


def _chat_model_types() -> set[str]:
    from transformers.models.auto.modeling_auto import MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES

    return set(MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES) - {
        "blip",
        "git",
        "vision-encoder-decoder",
    }


def _unsupported(ckpt: Checkpoint, spec: str, kind: str, supported: str) -> ModelBuildError:
    what = ", ".join(ckpt.architectures) or ckpt.model_type or "an unknown model"
    return ModelBuildError(
        f"model {spec!r}: {ckpt.path} is {what} (model_type {ckpt.model_type!r}), which the "
        f"hf: adapter cannot run on a {kind} task; it runs {supported}"
    )


def _chat_model(ckpt: Checkpoint, ctx: ModelContext, spec: str, options: Any, vqa: bool) -> ChatVLM:
    transformers = import_extra("transformers", "hf", spec)
    processor = load_pretrained(transformers.AutoProcessor, ckpt, spec)
    if not getattr(processor, "chat_template", None):
        raise ModelBuildError(
            f"model {spec!r}: the processor in {ckpt.path} has no chat template "
            "(chat_template.jinja or chat_template in processor_config.json)"
        )
    kind = "vqa" if vqa else "caption"
    prompt = options.prompt
    if prompt is None:
        prompt = getattr(ctx.task, "prompt", None) or DEFAULT_PROMPTS[kind]
    loader = transformers.AutoModelForImageTextToText
    module = load_module(loader, ckpt, spec, options, ctx.device)
    return ChatVLM(processor, vqa, ckpt, module, options, ctx.device, prompt=prompt)


def build_caption(ctx: ModelContext, spec: str) -> HFModel:
    """A captioning model for ``hf:`` (``ctx.task`` is a caption task)."""
    options = parse_options(ctx.model_args, ctx.task, spec)
    refuse_options(ctx.model_args, _SPEECH_KEYS, spec, "not a speech model")
    ckpt = open_checkpoint(ctx, spec, options)
    transformers = import_extra("transformers", "hf", spec)
    archs, model_type = ckpt.architectures, ckpt.model_type
    if model_type in ("blip", "git", "vision-encoder-decoder"):
        refuse_options(ctx.model_args, ["prompt"], spec, _NO_PROMPT)
    if "BlipForConditionalGeneration" in archs:
        processor = load_pretrained(transformers.AutoProcessor, ckpt, spec)
        loader = transformers.BlipForConditionalGeneration
        module = load_module(loader, ckpt, spec, options, ctx.device)
        return BlipCaptioner(processor, ckpt, module, options, ctx.device)
    if model_type == "git":
        processor = load_pretrained(transformers.AutoProcessor, ckpt, spec)
        module = load_module(transformers.GitForCausalLM, ckpt, spec, options, ctx.device)
        return GitCaptioner(processor, ckpt, module, options, ctx.device)
    if model_type == "vision-encoder-decoder":
        image_processor = load_pretrained(transformers.AutoImageProcessor, ckpt, spec)
        tokenizer = load_pretrained(transformers.AutoTokenizer, ckpt, spec)
        loader = transformers.VisionEncoderDecoderModel
        module = load_module(loader, ckpt, spec, options, ctx.device)
        return EncoderDecoderCaptioner(
            image_processor, tokenizer, ckpt, module, options, ctx.device
        )
    if model_type in _chat_model_types():
        return _chat_model(ckpt, ctx, spec, options, vqa=False)
    raise _unsupported(
        ckpt,
        spec,
        "caption",
        "BlipForConditionalGeneration, GIT, VisionEncoderDecoderModel and image-text-to-text "
        "models with a chat template",
    )


def build_vqa(ctx: ModelContext, spec: str) -> HFModel:
    """A VQA model for ``hf:`` (``ctx.task`` is a VQA task with text questions)."""
    options = parse_options(ctx.model_args, ctx.task, spec)
    refuse_options(ctx.model_args, _SPEECH_KEYS, spec, "not a speech model")
    ckpt = open_checkpoint(ctx, spec, options)
    transformers = import_extra("transformers", "hf", spec)
    archs = ckpt.architectures
    if "ViltForQuestionAnswering" in archs:
        why = "ViLT classifies over its answer vocabulary (no prompt, nothing generated)"
        refuse_options(ctx.model_args, ["prompt", "max_new_tokens", "num_beams"], spec, why)
        processor = load_pretrained(transformers.AutoProcessor, ckpt, spec)
        loader = transformers.ViltForQuestionAnswering
        module = load_module(loader, ckpt, spec, options, ctx.device)
        return ViltAnswerer(processor, ckpt, module, options, ctx.device)
    if "BlipForQuestionAnswering" in archs:
        refuse_options(ctx.model_args, ["prompt"], spec, _NO_PROMPT)
        processor = load_pretrained(transformers.AutoProcessor, ckpt, spec)
        loader = transformers.BlipForQuestionAnswering
        module = load_module(loader, ckpt, spec, options, ctx.device)
        return BlipAnswerer(processor, ckpt, module, options, ctx.device)
    if ckpt.model_type in _chat_model_types():
        return _chat_model(ckpt, ctx, spec, options, vqa=True)
    raise _unsupported(
        ckpt,
        spec,
        "VQA",
        "ViltForQuestionAnswering, BlipForQuestionAnswering and image-text-to-text models "
        "with a chat template",
    )
