"""``sphinx``: CMU PocketSphinx as an ASR model, fully offline (extra ``sphinx``).

The US-English acoustic model, trigram language model and CMU pronouncing dictionary that the
``pocketsphinx`` wheel ships are the defaults; ``--model-arg`` overrides any of them (``hmm``,
``lm``, ``dict``) and the search (``beam``, ``wbeam``, ``pbeam``, ``lw``, ``maxhmmpf``); the
values are PocketSphinx's own configuration parameters. Each utterance (16 kHz float32) is
decoded whole as 16-bit PCM, with the acoustic front end (cepstral mean included) reset first:
PocketSphinx carries its state over from the previous utterance otherwise, so an output would
depend on what was decoded before it and a resumed run would differ. The hypothesis is
returned upper-cased, as LibriSpeech writes its transcripts. A weak, real baseline: see
``docs/adapters.md`` for its measured WER.

Importing this module does not import pocketsphinx; building the model does.

>>> to_pcm16(np.array([0.0, 0.5, -1.0, 2.0], dtype=np.float32)).tolist()
[0, 16384, -32767, 32767]
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from mmbench.adapters.base import ModelArg, ModelBuildError, ModelContext, accepts, import_extra
from mmbench.datasets.media import load_audio
from mmbench.registry import MODELS
from mmbench.types import AUDIO_SAMPLE_RATE, Modality, Sample, TaskKind

#: ``--model-arg`` keys that name files or folders (checked to exist before PocketSphinx runs).
PATH_ARGS = ("hmm", "lm", "dict")

SPHINX_ARGS = {
    "hmm": ModelArg("acoustic model folder [default: the wheel's en-us]"),
    "lm": ModelArg("n-gram language model, ARPA or .lm.bin [default: the wheel's en-us.lm.bin]"),
    "dict": ModelArg("pronunciation dictionary [default: the wheel's cmudict-en-us.dict]"),
    "beam": ModelArg("Viterbi beam, smaller is wider and slower [default 1e-48]"),
    "wbeam": ModelArg("word-exit beam [default 7e-29]"),
    "pbeam": ModelArg("phone-transition beam [default 1e-48]"),
    "lw": ModelArg("language model weight [default 6.5]"),
    "maxhmmpf": ModelArg("most active HMMs per frame, -1 for no limit [default 30000]"),
}


def to_pcm16(wave: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] -> int16 PCM (clipped), what PocketSphinx decodes."""
    return (np.clip(wave, -1.0, 1.0) * 32767.0).round().astype(np.int16)  # [T] int16


def _sha256_files(paths: Sequence[Path]) -> str:
    """One hash over the names and contents of ``paths`` (folders: every file in them)."""
    digest = hashlib.sha256()
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for f in files:
            digest.update(f.name.encode())
            with open(f, "rb") as fh:
                while block := fh.read(1 << 20):
                    digest.update(block)
    return digest.hexdigest()


class SphinxModel:
    """Adapter around one ``pocketsphinx.Decoder``: one utterance at a time, whole."""

    name = "sphinx"
    modalities = (Modality.AUDIO,)

    def __init__(self, decoder: Any) -> None:
        self.decoder = decoder
        config = decoder.config
        self.files = {key: Path(config[key]) for key in PATH_ARGS}
        self.search = {key: config[key] for key in SPHINX_ARGS if key not in PATH_ARGS}
        self._sha256 = _sha256_files(list(self.files.values()))

    def transcribe(self, wave: np.ndarray) -> str:
        """Decode one 16 kHz utterance ``[T]`` float32; upper-case words, ``""`` for silence."""
        self.decoder.reinit_feat()  # fresh front end: no state from the previous utterance
        self.decoder.start_utt()
        self.decoder.process_raw(to_pcm16(wave).tobytes(), full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return " ".join(hyp.hypstr.split()).upper() if hyp is not None else ""

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        return [self.transcribe(load_audio(s)) for s in samples]

    def info(self) -> dict[str, Any]:
        return {
            "parameters": None,  # a GMM-HMM: no single parameter count is meaningful
            "pocketsphinx": version("pocketsphinx"),
            "model_sha256": self._sha256,
            "files": {key: path.name for key, path in self.files.items()},
            "search": self.search,
            "sample_rate": AUDIO_SAMPLE_RATE,
            "device": "cpu",
        }


def decoder_config(model_args: Mapping[str, str]) -> dict[str, str]:
    """PocketSphinx configuration from ``--model-arg`` values; paths must exist.

    >>> decoder_config({"beam": "1e-40"})
    {'loglevel': 'ERROR', 'samprate': '16000', 'beam': '1e-40'}
    """
    config = {"loglevel": "ERROR", "samprate": str(AUDIO_SAMPLE_RATE)}
    for key, value in model_args.items():
        if key in PATH_ARGS and not Path(value).exists():
            raise ModelBuildError(f"sphinx: --model-arg {key}={value}: no such file or folder")
        config[key] = value
    return config


@MODELS.register("sphinx")
@accepts(**SPHINX_ARGS)
def make_sphinx(ctx: ModelContext) -> SphinxModel:
    """CMU PocketSphinx US-English speech recognizer, offline (extra: sphinx)."""
    if ctx.task is not None and ctx.task.kind is not TaskKind.ASR:
        raise ModelBuildError(
            f"sphinx is a speech recognizer: it runs on ASR tasks (spoken_shapes, "
            f"librispeech_*), not on {ctx.task.name} ({ctx.task.kind.value})"
        )
    pocketsphinx = import_extra("pocketsphinx", "sphinx", "sphinx")
    config = decoder_config(ctx.model_args)
    try:
        decoder = pocketsphinx.Decoder(**config)
    except (ValueError, RuntimeError) as exc:  # a bad number, or a model it cannot load
        given = " ".join(f"{k}={v}" for k, v in sorted(ctx.model_args.items())) or "(defaults)"
        raise ModelBuildError(
            f"sphinx: PocketSphinx could not start with --model-arg {given}: {exc}"
        ) from exc
    return SphinxModel(decoder)
