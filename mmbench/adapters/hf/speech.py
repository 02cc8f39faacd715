"""``hf:`` speech families: ASR (Whisper, CTC, any speech-seq2seq) and ``spoken_vqa``.

The checkpoint's config picks the recognizer:

- ``model_type == "whisper"``: ``WhisperForConditionalGeneration``; ``--model-arg language``
  (``en``, ``english``...) and ``task`` (``transcribe`` | ``translate``) reach ``generate``
  (multilingual checkpoints only; an English-only one such as ``whisper-tiny.en`` refuses
  them). Audio longer than 30 s is decoded long-form (sequential 30 s windows with
  timestamps, as ``transformers`` does it), never cut.
- a CTC model (Wav2Vec2, HuBERT, Data2Vec-audio, WavLM...: ``AutoModelForCTC``): one forward
  pass, greedy decoding (argmax, repeats merged, blanks dropped by the tokenizer's
  ``batch_decode``) over each utterance's own frames, so padding never adds letters. A model
  whose feature encoder cannot mask padding (group-norm encoders such as ``wav2vec2-base``,
  or a feature extractor that returns no attention mask) runs one utterance at a time, so
  its output never depends on what else is in the batch.
- any other ``AutoModelForSpeechSeq2Seq`` (Speech2Text, ``SpeechEncoderDecoderModel``...):
  ``generate`` with the attention mask of the padded batch.

Audio is :func:`mmbench.datasets.media.load_audio` (float32 mono 16 kHz ``[T]``), fed through
the checkpoint's feature extractor and decoded by its tokenizer. Transcripts are returned as
decoded (stripped): the task's normalizer (``librispeech``, ``english``) lower-cases and removes
punctuation at scoring time. Generation is greedy unless ``num_beams`` > 1, limited by the
task's ``max_new_tokens``; generated tokens go to the profiler (``report_tokens``) and time
to the phases ``preprocess``, ``forward`` or ``generate``, and ``decode``.

``spoken_vqa`` (question as audio, plus an image) is not available through ``hf:``: see
:func:`build_spoken_vqa`.

>>> sorted(CTC_REFUSED)
['language', 'max_new_tokens', 'num_beams', 'prompt', 'task']
>>> long_form([np.zeros(16_000, np.float32), np.zeros(30 * 16_000 + 1, np.float32)])
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from mmbench.adapters.base import ModelBuildError, ModelContext, import_extra
from mmbench.adapters.hf.common import (
    Checkpoint,
    HFModel,
    HFOptions,
    load_module,
    load_pretrained,
    open_checkpoint,
    parse_options,
    refuse_options,
    stop_token_ids,
)
from mmbench.datasets.media import load_audio
from mmbench.profiling import model_phase
from mmbench.types import AUDIO_SAMPLE_RATE, Modality, Sample

#: Whisper's window: longer audio is decoded long-form.
WHISPER_WINDOW_S = 30
#: Why ``hf:`` has no ``spoken_vqa`` model, and what to use instead.
SPOKEN_VQA_UNAVAILABLE = (
    "the task needs one chat turn holding an audio clip and an image; in transformers only "
    "audio+image chat models take that (Qwen2.5-Omni, Qwen3-Omni, Phi-4-multimodal, Gemma-3n), "
    "and their processors need torchvision (Gemma-3n's vision tower also timm), of which no "
    "build loads with the CPU torch that mmbench pins, so mmbench has no hf: adapter for them. "
    "Serve such a model behind an OpenAI-compatible server and run --model openai:NAME, or "
    "use a reference model (ref-*)"
)
#: ``--model-arg`` keys with no meaning for a CTC model (no prompt, no generation).
CTC_REFUSED = ("prompt", "language", "task", "num_beams", "max_new_tokens")


def long_form(waves: Sequence[np.ndarray]) -> bool:
    """Whether any wave is longer than Whisper's 30 s window."""
    return any(len(w) > WHISPER_WINDOW_S * AUDIO_SAMPLE_RATE for w in waves)


class SpeechModel(HFModel):
    """An ``hf:`` speech recognizer: feature extractor -> model -> tokenizer."""

    modalities: ClassVar[tuple[Modality, ...]] = (Modality.AUDIO,)

    def __init__(
        self,
        ckpt: Checkpoint,
        module: Any,
        options: HFOptions,
        device: str,
        feature_extractor: Any,
        tokenizer: Any,
    ) -> None:
        super().__init__(ckpt, module, options, device)
        self.feature_extractor = feature_extractor
        self.tokenizer = tokenizer

    def features(self, waves: Sequence[np.ndarray], **kwargs: Any) -> dict[str, Any]:
        """The feature extractor's padded batch on the module's device (phase
        ``preprocess``)."""
        with model_phase("preprocess"):
            batch = self.feature_extractor(
                list(waves), sampling_rate=AUDIO_SAMPLE_RATE, return_tensors="pt", **kwargs
            )
            return self.tensors(batch)

    def decode(self, ids: Any) -> list[str]:
        """Token ids ``[B, T]`` (or one list per row) -> stripped transcripts (phase
        ``decode``)."""
        with model_phase("decode"):
            texts = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
        return [" ".join(t.split()) for t in texts]

    def predict_batch(self, samples: Sequence[Sample]) -> list[str]:
        return self.transcribe([load_audio(s) for s in samples])

    def transcribe(self, waves: Sequence[np.ndarray]) -> list[str]:
        """Transcripts of 16 kHz float32 waves ``[T]``, in order."""
        raise NotImplementedError


class WhisperASR(SpeechModel):
    """``WhisperForConditionalGeneration``, with ``language`` and ``task`` in ``generate``."""

    family = "asr-whisper"

    def generation_settings(self) -> dict[str, Any]:
        settings = super().generation_settings()
        if self.options.language is not None:
            settings["language"] = self.options.language
        if self.options.task is not None:
            settings["task"] = self.options.task
        return settings

    def transcribe(self, waves: Sequence[np.ndarray]) -> list[str]:
        longs = [i for i, w in enumerate(waves) if long_form([w])]
        if longs and len(longs) < len(waves):  # each kind apart: a batch never changes a text
            shorts = [i for i in range(len(waves)) if i not in longs]
            texts = dict(zip(shorts, self.transcribe([waves[i] for i in shorts]), strict=True))
            texts.update(zip(longs, self.transcribe([waves[i] for i in longs]), strict=True))
            return [texts[i] for i in range(len(waves))]
        if longs:  # every wave is kept whole; generate walks 30 s windows
            inputs = self.features(
                waves, truncation=False, padding="longest", return_attention_mask=True
            )
        else:  # padded to the 30 s window the encoder expects
            inputs = self.features(waves, return_attention_mask=True)
        out = self.generate(inputs)  # [B, T]: generated ids, decoder prompt not included
        self.report_generated(out, stop_token_ids(self.module.generation_config))
        return self.decode(out)


class CTCASR(SpeechModel):
    """A CTC model: argmax over each utterance's own frames, decoded by its tokenizer."""

    family = "asr-ctc"
    generates = False

    def masks_padding(self) -> bool:
        """Whether padding can be masked (else utterances run one at a time)."""
        return bool(getattr(self.feature_extractor, "return_attention_mask", False)) and (
            getattr(self.module.config, "feat_extract_norm", "layer") != "group"
        )

    def transcribe(self, waves: Sequence[np.ndarray]) -> list[str]:
        if len(waves) > 1 and not self.masks_padding():
            return [text for wave in waves for text in self.transcribe([wave])]
        inputs = self.features(waves, padding=True, return_attention_mask=self.masks_padding())
        with model_phase("forward"):
            logits = self.module(**inputs).logits  # [B, F, V]
            best = logits.argmax(-1)  # [B, F]
        if "attention_mask" in inputs:  # frames that hold audio, per utterance
            frames = self.module._get_feat_extract_output_lengths(
                inputs["attention_mask"].sum(-1)
            )  # [B]
            return self.decode(
                [row[: int(n)].tolist() for row, n in zip(best, frames, strict=True)]
            )
        return self.decode(best)


class Seq2SeqASR(SpeechModel):
    """Any ``AutoModelForSpeechSeq2Seq``: ``generate`` on the padded, masked batch."""

    family = "asr-seq2seq"

    def transcribe(self, waves: Sequence[np.ndarray]) -> list[str]:
        inputs = self.features(waves, padding=True, return_attention_mask=True)
        out = self.generate(inputs)  # [B, T], starting with the decoder start token
        start = getattr(self.module.generation_config, "decoder_start_token_id", None)
        new = out[:, 1:] if start is not None and bool((out[:, 0] == start).all()) else out
        self.report_generated(new, stop_token_ids(self.module.generation_config))
        return self.decode(new)


def _whisper_language(language: str, generation_config: Any, spec: str) -> str:
    """The language code (``fr``) of a code or name (``French``); a ``language`` the
    checkpoint's generation config does not know is refused."""
    from transformers.models.whisper.tokenization_whisper import LANGUAGES, TO_LANGUAGE_CODE

    lang_to_id = getattr(generation_config, "lang_to_id", None) or {}
    code = language.lower().strip("<|>")
    code = TO_LANGUAGE_CODE.get(code, code)
    if f"<|{code}|>" not in lang_to_id:
        known = ", ".join(
            f"{c} ({LANGUAGES.get(c, c)})" for c in sorted(k.strip("<|>") for k in lang_to_id)
        )
        raise ModelBuildError(
            f"model {spec!r}: --model-arg language={language!r} is not one of its languages: "
            f"{known}"
        )
    return code


def _whisper_options(module: Any, options: HFOptions, spec: str) -> HFOptions:
    """``options`` checked against the checkpoint, the language as its code."""
    config = module.generation_config
    if (options.language or options.task) and not getattr(config, "is_multilingual", False):
        raise ModelBuildError(
            f"model {spec!r} is an English-only Whisper: it takes no --model-arg language or "
            "task (use a multilingual checkpoint, e.g. openai/whisper-tiny, for those)"
        )
    if options.language:
        return replace(options, language=_whisper_language(options.language, config, spec))
    return options


def _speech_parts(
    transformers: Any, ckpt: Checkpoint, spec: str, options: HFOptions, ctx: ModelContext
) -> tuple[type[SpeechModel], Any]:
    """The recognizer class and its torch module, chosen by the checkpoint's config."""
    args, device = ctx.model_args, ctx.device
    auto = transformers.models.auto.modeling_auto
    model_type = ckpt.model_type
    if model_type == "whisper":
        module = load_module(
            transformers.WhisperForConditionalGeneration, ckpt, spec, options, device
        )
        return WhisperASR, module
    if model_type in auto.MODEL_FOR_CTC_MAPPING_NAMES:
        refuse_options(args, CTC_REFUSED, spec, "a CTC model decodes greedily")
        return CTCASR, load_module(transformers.AutoModelForCTC, ckpt, spec, options, device)
    if model_type in auto.MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES:
        refuse_options(args, ("language", "task"), spec, "language and task are Whisper's")
        loader = transformers.AutoModelForSpeechSeq2Seq
        return Seq2SeqASR, load_module(loader, ckpt, spec, options, device)
    raise ModelBuildError(
        f"model {spec!r} is not a speech recognizer: its config's model_type {model_type!r} "
        f"({', '.join(ckpt.architectures) or 'no architectures'}) is neither Whisper, a CTC "
        "model nor a speech-seq2seq model"
    )


def build_asr(ctx: ModelContext, spec: str) -> SpeechModel:
    """An ``hf:`` speech recognizer for an ASR task (see the module doc)."""
    options = parse_options(ctx.model_args, ctx.task, spec)
    refuse_options(ctx.model_args, ["prompt"], spec, "speech recognizers take no prompt")
    transformers = import_extra("transformers", "hf", spec)
    ckpt = open_checkpoint(ctx, spec, options)
    cls, module = _speech_parts(transformers, ckpt, spec, options, ctx)
    if cls is WhisperASR:
        options = _whisper_options(module, options, spec)
    feature_extractor = load_pretrained(transformers.AutoFeatureExtractor, ckpt, spec)
    tokenizer = load_pretrained(transformers.AutoTokenizer, ckpt, spec)
    return cls(ckpt, module, options, ctx.device, feature_extractor, tokenizer)


def build_spoken_vqa(ctx: ModelContext, spec: str) -> Any:
    """Always a :class:`ModelBuildError`: no ``hf:`` model answers ``spoken_vqa`` (see
    :data:`SPOKEN_VQA_UNAVAILABLE` and ``docs/adapters.md``)."""
    raise ModelBuildError(f"model {spec!r} cannot answer spoken_vqa: {SPOKEN_VQA_UNAVAILABLE}")
