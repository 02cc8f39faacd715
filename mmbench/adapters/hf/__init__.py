"""``hf:<local dir or hub id>``: Hugging Face ``transformers`` models (extra ``hf``).

The task decides the family of builders and the checkpoint's config the builder:

- ``caption``: BLIP, GIT, ``VisionEncoderDecoderModel``, any image-text-to-text model
  (:mod:`mmbench.adapters.hf.vision`);
- ``vqa``: ViLT (classification head), BLIP-VQA, generative chat VLMs (ibid.);
- ``asr``: Whisper, Wav2Vec2/HuBERT CTC, any speech-seq2seq model
  (:mod:`mmbench.adapters.hf.speech`);
- ``spoken_vqa`` (a VQA task whose samples carry the question as audio, beside the image):
  audio-capable chat models (ibid.).

Checkpoints load from a local folder, or from the hub when it can be reached (never with
remote code: ``trust_remote_code`` is not an option). Loading, options, dtype/device,
``info()`` and the profiling hooks live in :mod:`mmbench.adapters.hf.common`.

Importing this package imports neither torch nor transformers; building a model does.

>>> sorted(MODEL_ARGS)  # doctest: +NORMALIZE_WHITESPACE
['dtype', 'language', 'max_new_tokens', 'num_beams', 'prompt', 'revision', 'task']
>>> from mmbench.tasks import load_task
>>> task_family(load_task("spoken_vqa")), task_family(load_task("easyvqa"))
('spoken_vqa', 'vqa')
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from mmbench.adapters.base import ModelArg, ModelBuildError, ModelContext, accepts
from mmbench.registry import MODELS, READERS
from mmbench.types import Modality, TaskKind

#: ``--model-arg`` keys of every ``hf:`` family (one list; a family refuses keys it cannot use).
MODEL_ARGS: Mapping[str, ModelArg] = {
    "dtype": ModelArg("weights' dtype: fp32 | bf16 | fp16 [default: fp32]"),
    "prompt": ModelArg("instruction for generative chat models [default: the task's prompt]"),
    "max_new_tokens": ModelArg("generation limit [default: the task's max_new_tokens]"),
    "num_beams": ModelArg("beam search width [default: 1, greedy]"),
    "revision": ModelArg("hub branch, tag or commit of a hub id [default: main]"),
    "language": ModelArg("speech models: spoken language, e.g. en [default: the model's]"),
    "task": ModelArg("Whisper: transcribe | translate [default: transcribe]"),
}

#: ``family -> "module:factory"``; each factory takes ``(ctx, spec)``.
BUILDERS: Mapping[str, str] = {
    "caption": "mmbench.adapters.hf.vision:build_caption",
    "vqa": "mmbench.adapters.hf.vision:build_vqa",
    "asr": "mmbench.adapters.hf.speech:build_asr",
    "spoken_vqa": "mmbench.adapters.hf.speech:build_spoken_vqa",
}


def task_family(task: Any) -> str:
    """The builder family for ``task``: its kind, or ``spoken_vqa`` for a VQA task whose
    reader yields the question as audio (the reader declares ``modalities``)."""
    kind = TaskKind(task.kind)
    if kind is TaskKind.VQA:
        inputs = getattr(READERS.get(task.reader), "modalities", ())
        if Modality.AUDIO in inputs:
            return "spoken_vqa"
    return kind.value


def _builder(family: str, spec: str) -> Any:
    module_name, _, attr = BUILDERS[family].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ModelBuildError(
            f"model {spec!r}: this mmbench has no hf: adapter for {family} tasks yet"
        ) from None
    return getattr(module, attr)


@MODELS.register("hf")
@accepts(**MODEL_ARGS)
def make_hf(ctx: ModelContext) -> Any:
    """Hugging Face transformers checkpoint, `hf:DIR` or `hf:ORG/NAME` (extra: hf)."""
    spec = f"hf:{ctx.arg or ''}"
    if not ctx.arg:
        raise ModelBuildError(
            "hf needs a checkpoint: --model hf:DIR (a folder written by save_pretrained or "
            "`hf download ID --local-dir DIR`) or hf:ORG/NAME (a hub id)"
        )
    if ctx.task is None:
        raise ModelBuildError(f"model {spec!r} needs a task to choose captioning, VQA or ASR")
    return _builder(task_family(ctx.task), spec)(ctx, spec)
