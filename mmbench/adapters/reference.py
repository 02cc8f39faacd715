"""Reference fusion models as mmbench models: ``ref-<fusion>`` (e.g. ``ref-gated``) and ``seed``.

Each picks the weights shipped for the task being run (``mmbench/models/weights/
<task>-<fusion>.safetensors`` + its ``.json`` config); ``ref-gated:PATH`` loads a checkpoint
written by ``mmbench train`` instead (``PATH`` with or without ``.safetensors``), and ``ref:PATH``
loads any such checkpoint, whatever its fusion (your own ``pkg.module:Class`` included; it is
named ``ref-Class``). Weights load with safetensors only. The torch module is exposed as
``.module`` (for FLOP counting).

Importing this module does not import torch; building a model does.

>>> "ref-gated" in FUSION_MODELS and "ref-cross_attention" in FUSION_MODELS
True
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from mmbench.adapters.base import ModelContext
from mmbench.datasets.media import load_audio, load_image
from mmbench.registry import MODELS
from mmbench.types import Modality, Sample

#: The fusion methods of :mod:`mmbench.models.fusion` (listed here so that registering the
#: models needs no torch import; a test checks both lists agree).
FUSION_NAMES = (
    "weighted_sum",
    "conv",
    "recurrent",
    "concat",
    "gated",
    "bilinear",
    "cross_attention",
)
FUSION_MODELS = tuple(f"ref-{f}" for f in FUSION_NAMES)


def fusion_label(fusion: str) -> str:
    """The fusion's short name in model and file names; your own ``pkg.mod:Class`` -> ``Class``.

    >>> fusion_label("gated"), fusion_label("mypkg.fusions:Hadamard")
    ('gated', 'Hadamard')
    """
    return fusion.rpartition(":")[2]


def model_name(fusion: str) -> str:
    """``ref-<label>`` for a fusion method, ``seed`` for the seed model."""
    return "seed" if fusion == "seed" else f"ref-{fusion_label(fusion)}"


MODALITIES = {
    "vqa": (Modality.IMAGE, Modality.TEXT),
    "spoken_vqa": (Modality.IMAGE, Modality.AUDIO),
    "caption": (Modality.IMAGE,),
    "asr": (Modality.AUDIO,),
}

#: Seconds of silence a reference model hears for a missing audio input.
STAND_IN_AUDIO_S = 1.0


def image_or_stand_in(sample: Sample, size: int) -> Any:
    """The sample's image, or for a missing one (``--perturb missing:image``) a mid-grey
    ``[size, size, 3]`` uint8 image: zero after the image encoder's ``x / 255 - 0.5``.

    >>> from mmbench.types import TaskKind
    >>> image_or_stand_in(Sample(id="q", kind=TaskKind.VQA), 4)[0, 0].tolist()
    [128, 128, 128]
    """
    import numpy as np

    if sample.has(Modality.IMAGE):
        return load_image(sample)
    return np.full((size, size, 3), 128, np.uint8)  # [size, size, 3]


def audio_or_stand_in(sample: Sample) -> Any:
    """The sample's audio, or ``STAND_IN_AUDIO_S`` of silence (zeros) for a missing one."""
    import numpy as np

    from mmbench.types import AUDIO_SAMPLE_RATE

    if sample.has(Modality.AUDIO):
        return load_audio(sample)
    return np.zeros(int(STAND_IN_AUDIO_S * AUDIO_SAMPLE_RATE), np.float32)  # [T]


def weights_dir() -> Path:
    """The folder of shipped checkpoints inside the package."""
    return Path(str(resources.files("mmbench") / "models" / "weights"))


def shipped_tasks(variant: str) -> list[str]:
    """Tasks with shipped weights for ``variant`` (a fusion name or ``seed``)."""
    suffix = f"-{variant}.safetensors"
    return sorted(p.name[: -len(suffix)] for p in weights_dir().glob(f"*{suffix}"))


def shipped_checkpoint(variant: str, task: str) -> Path:
    """``weights/<task>-<variant>``; a clear error lists the tasks that have weights."""
    path = weights_dir() / f"{task}-{variant}.safetensors"
    if not path.is_file():
        have = ", ".join(shipped_tasks(variant)) or "none"
        model = "seed" if variant == "seed" else f"ref-{variant}"
        raise FileNotFoundError(
            f"{model} has no shipped weights for task {task!r} (tasks with weights: {have}). "
            f"Train some with `mmbench train --fusion {variant} --task {task} --out DIR` and run "
            f"`--model {model}:DIR/{task}-{variant}.safetensors`."
        )
    return path


class ReferenceModel:
    """Adapter: decodes the batch's media into tensors, runs the module, returns texts.

    A missing modality gets a stand-in (:func:`image_or_stand_in`, :func:`audio_or_stand_in`,
    the empty question), so no modality is required. A VQA model with a learned stand-in file
    next to its weights (``<name>.stand-in.safetensors``, :mod:`mmbench.models.stand_in`)
    replaces the encoder output of a missing image or question with the learned one; its
    SHA-256 is in ``info()`` (``stand_in_sha256``), so it enters the model's fingerprint.
    """

    required_modalities: tuple[Modality, ...] = ()

    def __init__(self, name: str, module: Any, config: dict[str, Any], weights: Path) -> None:
        from mmbench.models.reference import sha256_file

        self.name = name
        self.module = module
        self.config = config
        self.weights = Path(weights)
        self.kind = "vqa" if config["arch"] == "seed" else config["model"]["kind"]
        self.spoken = config["model"].get("question", "text") == "audio"
        self.modalities = MODALITIES["spoken_vqa" if self.spoken else self.kind]
        self.device = "cpu"
        self._sha256 = sha256_file(self.weights)
        self._vocab = {w: i for i, w in enumerate(config["model"]["vocab"])}
        self.stand_ins, self._stand_in_sha256 = self._load_stand_ins()

    def _load_stand_ins(self) -> tuple[Any, str | None]:
        """The learned stand-ins next to the weights (VQA reference models), if there are."""
        from mmbench.models.reference import sha256_file
        from mmbench.models.stand_in import load_stand_ins, stand_in_path

        path = stand_in_path(self.weights)
        if self.config["arch"] == "seed" or self.kind != "vqa" or not path.is_file():
            return None, None
        width = self.config["model"]["width"]
        return load_stand_ins(path, self._sha256, width), sha256_file(path)

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        import torch

        from mmbench.models.encoders import images_to_tensor, waves_to_tensor
        from mmbench.models.reference import encode, pad_ids

        with torch.inference_mode():
            if self.kind == "asr":
                waves, lengths = waves_to_tensor([audio_or_stand_in(s) for s in samples])
                return self.module.generate((waves.to(self.device), lengths.to(self.device)))
            size = self.config["model"].get("image", {}).get("size") or self.config["model"].get(
                "image_size", 64
            )
            images = [image_or_stand_in(s, size) for s in samples]
            images = images_to_tensor(images, size).to(self.device)  # [B, 3, S, S]
            if self.kind == "caption":
                return self.module.generate((images,))
            stand_in = self._stand_in(samples)  # the seed model never has one
            extra = {} if stand_in is None else {"stand_in": stand_in}
            if self.spoken:
                waves, lengths = waves_to_tensor([audio_or_stand_in(s) for s in samples])
                questions = (waves.to(self.device), lengths.to(self.device))
                return self.module.answer(images, questions, **extra)
            ids = pad_ids([encode(s.text or "", self._vocab) for s in samples]).to(self.device)
            return self.module.answer(images, ids, **extra)

    def _stand_in(self, samples: Sequence[Sample]) -> Any:
        """The learned stand-ins bound to this batch's missing inputs (None: none missing)."""
        from functools import partial

        import torch

        if self.stand_ins is None or self.kind != "vqa":
            return None
        question = Modality.AUDIO if self.spoken else Modality.TEXT
        no_image = torch.tensor([not s.has(Modality.IMAGE) for s in samples], device=self.device)
        no_question = torch.tensor([not s.has(question) for s in samples], device=self.device)
        if not (no_image.any() or no_question.any()):
            return None  # complete inputs: exactly the model without stand-ins
        return partial(self.stand_ins, missing_image=no_image, missing_question=no_question)

    def to(self, device: str) -> ReferenceModel:
        self.module.to(device)
        if self.stand_ins is not None:
            self.stand_ins.to(device)
        self.device = str(device)
        return self

    def info(self) -> dict[str, Any]:
        model_cfg = {k: v for k, v in self.config["model"].items() if k not in ("vocab", "answers")}
        return {
            "parameters": sum(p.numel() for p in self.module.parameters()),
            "checkpoint_sha256": self._sha256,
            "checkpoint": self.weights.name,
            "fusion": self.config["recipe"]["fusion"],
            "arch": self.config["arch"],
            "trained_on": self.config.get("task"),
            "config": {
                **model_cfg,
                "vocab_size": len(self.config["model"]["vocab"]),
                "n_answers": len(self.config["model"]["answers"]),
            },
            "recipe": self.config.get("recipe"),
            "device": self.device,
            "dtype": "float32",
            # only with a stand-in file: models without one keep their fingerprints
            **({"stand_in_sha256": self._stand_in_sha256} if self._stand_in_sha256 else {}),
        }


def load_reference(weights: str | Path, name: str) -> ReferenceModel:
    """A :class:`ReferenceModel` from ``weights`` (``.safetensors``; the ``.json`` beside it)."""
    from mmbench.models.reference import load_checkpoint

    path = Path(weights)
    path = path if path.suffix == ".safetensors" else path.with_name(path.name + ".safetensors")
    if not path.is_file() or not path.with_suffix(".json").is_file():
        raise FileNotFoundError(f"{name}: checkpoint {path} (and its .json config) not found")
    module, config = load_checkpoint(path)
    return ReferenceModel(name, module, config, path)


def _factory(variant: str) -> Any:
    model = "seed" if variant == "seed" else f"ref-{variant}"

    def make(ctx: ModelContext) -> ReferenceModel:
        if ctx.arg:
            ref = load_reference(ctx.arg, model)
        else:
            if ctx.task is None:
                raise ValueError(f"{model} needs a task to pick its shipped weights")
            ref = load_reference(shipped_checkpoint(variant, ctx.task.name), model)
        if ref.config["recipe"]["fusion"] != variant:
            raise ValueError(f"{model}: checkpoint {ref.weights} was trained with fusion "
                             f"{ref.config['recipe']['fusion']!r}")  # fmt: skip
        return ref.to(ctx.device) if ctx.device != "cpu" else ref

    what = (
        "the founding note's example model, corrected" if variant == "seed" else f"{variant} fusion"
    )
    make.__doc__ = f"Reference model ({what}); shipped weights per task, or `{model}:PATH`."
    return make


for _variant in (*FUSION_NAMES, "seed"):
    MODELS.register(model_name(_variant))(_factory(_variant))


@MODELS.register("ref")
def _any_checkpoint(ctx: ModelContext) -> ReferenceModel:
    """Any checkpoint written by `mmbench train` (your own fusion method included): `ref:PATH`."""
    if not ctx.arg:
        raise ValueError("ref needs a checkpoint: --model ref:PATH (written by mmbench train)")
    ref = load_reference(ctx.arg, "ref")
    ref.name = model_name(ref.config["recipe"]["fusion"])  # ref-<label>, or seed
    return ref.to(ctx.device) if ctx.device != "cpu" else ref
