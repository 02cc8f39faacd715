"""What every ``hf:`` family shares: finding and loading a checkpoint, options, dtype and
device, ``info()`` for the fingerprint, and the profiling hooks.

**Where a checkpoint comes from.** ``hf:DIR`` loads a folder (written by ``save_pretrained``
or ``hf download ID --local-dir DIR``). ``hf:ORG/NAME`` is a hub id: a copy already in the
Hugging Face cache is used as is; otherwise it is downloaded, unless the hub is off
(``HF_HUB_OFFLINE=1``) or cannot be reached, which is one :class:`ModelBuildError` naming the
model and the fix (download it where the hub is reachable, then pass ``hf:DIR``). Nothing
runs remote code, and ``from_pretrained`` only ever reads the resolved folder.

**What enters the fingerprint** (through :meth:`HFModel.info`): the transformers version,
the config's ``model_type`` and ``architectures``, the family, parameters, dtype, one sha256
over the weight, config, tokenizer and processor files, the generation settings, the prompt
and the answer post-processing.

>>> o = parse_options({"num_beams": "3"}, None, "hf:x")
>>> o.dtype, o.num_beams, o.max_new_tokens
('fp32', 3, 32)
>>> is_hub_id("Salesforce/blip-image-captioning-base"), is_hub_id("./blip"), is_hub_id("a/b/c")
(True, False, False)
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any, ClassVar

from mmbench.adapters.base import ModelBuildError, ModelContext, import_extra
from mmbench.profiling import model_phase, report_tokens
from mmbench.profiling.compute import DTYPES, parameter_count
from mmbench.types import Modality, Sample

#: Files whose bytes decide a checkpoint's outputs (hashed into ``checkpoint_sha256``).
HASHED_FILES = ("*.safetensors", "*.bin", "*.json", "*.txt", "*.model", "*.tiktoken", "*.jinja")
#: Never fetched from the hub: other frameworks' weights and exports.
HUB_IGNORE = ["*.h5", "*.msgpack", "*.onnx", "*.ot", "*.tflite", "*.gguf", "onnx/*", "coreml/*"]
#: A hub repository id: ``ORG/NAME`` (or a bare ``NAME``), no path syntax.
_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
_TRUE = {"1", "true", "yes", "on"}
DEFAULT_MAX_NEW_TOKENS = 32


@dataclass(frozen=True)
class HFOptions:
    """Parsed ``--model-arg`` values of an ``hf:`` model (see ``mmbench.adapters.hf``)."""

    dtype: str = "fp32"
    prompt: str | None = None
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    num_beams: int = 1
    revision: str | None = None
    language: str | None = None
    task: str | None = None


def _positive_int(key: str, value: str, spec: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ModelBuildError(
            f"model {spec!r}: --model-arg {key}={value!r}: expected an integer >= 1"
        )
    return number


def parse_options(args: Mapping[str, str], task: Any, spec: str) -> HFOptions:
    """Validate ``--model-arg`` values; ``max_new_tokens`` defaults to the task's."""
    dtype = args.get("dtype", "fp32")
    if dtype not in DTYPES:
        raise ModelBuildError(
            f"model {spec!r}: --model-arg dtype={dtype!r}: expected one of {', '.join(DTYPES)}"
        )
    defaults = getattr(task, "defaults", None) or {}
    max_new = args.get("max_new_tokens", defaults.get("max_new_tokens", DEFAULT_MAX_NEW_TOKENS))
    whisper_task = args.get("task")
    if whisper_task is not None and whisper_task not in ("transcribe", "translate"):
        raise ModelBuildError(
            f"model {spec!r}: --model-arg task={whisper_task!r}: expected transcribe or translate"
        )
    return HFOptions(
        dtype=dtype,
        prompt=args.get("prompt"),
        max_new_tokens=_positive_int("max_new_tokens", str(max_new), spec),
        num_beams=_positive_int("num_beams", args.get("num_beams", "1"), spec),
        revision=args.get("revision") or None,
        language=args.get("language") or None,
        task=whisper_task,
    )


def refuse_options(args: Mapping[str, str], keys: Iterable[str], spec: str, why: str) -> None:
    """A :class:`ModelBuildError` if any of ``keys`` is among the ``--model-arg`` ``args``
    (it has no meaning for this model).

    >>> refuse_options({"prompt": "x"}, ["language"], "hf:m", "not a speech model")
    """
    for key in keys:
        if key in args:
            raise ModelBuildError(f"model {spec!r}: --model-arg {key} does not apply: {why}")


def is_hub_id(source: str) -> bool:
    """``ORG/NAME`` or ``NAME`` with hub characters only (a path never matches)."""
    return bool(_HUB_ID.fullmatch(source)) and not source.startswith(".")


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` is set (read now, not at import)."""
    return any(
        os.environ.get(var, "").strip().lower() in _TRUE
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _fetch_fix(source: str) -> str:
    return (
        f"download it where the hub can be reached (`hf download {source} --local-dir DIR`, "
        "or `huggingface-cli download ...` with an older huggingface_hub), then pass "
        "--model hf:DIR"
    )


def resolve_checkpoint(source: str, revision: str | None, spec: str) -> Path:
    """The local folder of ``source``: a folder as is, a hub id from the cache or the hub."""
    path = Path(source).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelBuildError(
                f"model {spec!r}: {path} has no config.json; pass a folder written by "
                "save_pretrained (or by `hf download ID --local-dir DIR`)"
            )
        return path
    if path.exists() or not is_hub_id(source):
        raise ModelBuildError(
            f"model {spec!r}: {source} is not a folder (and not a hub id ORG/NAME); pass a "
            "folder written by save_pretrained"
        )
    hub = import_extra("huggingface_hub", "hf", spec)
    errors = import_extra("huggingface_hub.errors", "hf", spec)
    kwargs = {"revision": revision, "ignore_patterns": HUB_IGNORE}
    try:  # a copy in the cache needs no network
        return Path(hub.snapshot_download(source, local_files_only=True, **kwargs))
    except (errors.LocalEntryNotFoundError, OSError, ValueError):
        pass
    if hub_offline():
        raise ModelBuildError(
            f"model {spec!r}: {source} is not in the Hugging Face cache and the hub is off "
            f"(HF_HUB_OFFLINE): {_fetch_fix(source)}"
        )
    try:
        return Path(hub.snapshot_download(source, etag_timeout=10, **kwargs))
    except (errors.HfHubHTTPError, errors.LocalEntryNotFoundError, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelBuildError(
            f"model {spec!r}: cannot get {source} from the Hugging Face hub ({reason}): "
            f"{_fetch_fix(source)}"
        ) from None


def checkpoint_sha256(folder: Path) -> str:
    """One sha256 over the names and bytes of the folder's :data:`HASHED_FILES`."""
    files = sorted({p for pattern in HASHED_FILES for p in folder.glob(pattern) if p.is_file()})
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0")
        with open(f, "rb") as fh:
            while block := fh.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Checkpoint:
    """A resolved checkpoint: where it lies, what the user called it, and its config."""

    source: str  # as given after ``hf:``
    path: Path
    config: Any  # transformers.PretrainedConfig

    @property
    def model_type(self) -> str:
        return str(getattr(self.config, "model_type", "") or "")

    @property
    def architectures(self) -> list[str]:
        return list(getattr(self.config, "architectures", None) or [])


def open_checkpoint(ctx: ModelContext, spec: str, options: HFOptions) -> Checkpoint:
    """Resolve ``ctx.arg`` and read its config (transformers is imported here)."""
    transformers = import_extra("transformers", "hf", spec)
    path = resolve_checkpoint(str(ctx.arg), options.revision, spec)
    try:
        config = transformers.AutoConfig.from_pretrained(
            path, local_files_only=True, trust_remote_code=False
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ModelBuildError(
            f"model {spec!r}: transformers {transformers.__version__} cannot read "
            f"{path / 'config.json'} ({str(exc).splitlines()[0]}); a newer transformers may "
            "know this model type (models that need remote code are not supported)"
        ) from None
    return Checkpoint(str(ctx.arg), path, config)


def load_pretrained(loader: Any, ckpt: Checkpoint, spec: str, **kwargs: Any) -> Any:
    """``loader.from_pretrained(ckpt.path, ...)``, local files only, no remote code; a
    failure is one :class:`ModelBuildError` naming the model."""
    try:
        return loader.from_pretrained(
            ckpt.path, local_files_only=True, trust_remote_code=False, **kwargs
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelBuildError(
            f"model {spec!r}: cannot load {getattr(loader, '__name__', loader)} from "
            f"{ckpt.path} ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from None


def load_module(loader: Any, ckpt: Checkpoint, spec: str, options: HFOptions, device: str) -> Any:
    """The torch module in ``options.dtype`` on ``device``, in eval mode."""
    import torch

    dtype = getattr(torch, DTYPES[options.dtype])
    module = load_pretrained(loader, ckpt, spec, dtype=dtype)
    return module.to(device).eval()


def generated_tokens(new_ids: Any, stop_ids: Iterable[int]) -> int:
    """Tokens generated per row of ``new_ids`` ``[B, T]``, up to and including the first stop
    token (padding after it is not generated), summed over rows.

    >>> import torch
    >>> generated_tokens(torch.tensor([[5, 6, 2, 0], [7, 8, 9, 4]]), {2, 0})
    7
    """
    import torch

    stops = torch.tensor(sorted(set(stop_ids)), dtype=new_ids.dtype, device=new_ids.device)
    if new_ids.numel() == 0:
        return 0
    is_stop = torch.isin(new_ids, stops)  # [B, T]
    length = new_ids.shape[1]
    first = torch.where(is_stop.any(1), is_stop.int().argmax(1) + 1, length)  # [B]
    return int(first.sum())


def stop_token_ids(
    *configs: Any, attrs: Sequence[str] = ("eos_token_id", "pad_token_id")
) -> set[int]:
    """The token ids the ``attrs`` of the given configs name (ints or lists of ints).

    >>> from types import SimpleNamespace as NS
    >>> sorted(stop_token_ids(NS(eos_token_id=[2, 7], pad_token_id=0), NS(eos_token_id=None)))
    [0, 2, 7]
    """
    ids: set[int] = set()
    for config in configs:
        for attr in attrs:
            value = getattr(config, attr, None)
            if isinstance(value, int):
                ids.add(value)
            elif isinstance(value, (list, tuple)):
                ids.update(int(v) for v in value)
    return ids


class HFModel(ABC):
    """Base of every ``hf:`` model: the torch module, device and dtype, ``info()``.

    Subclasses set ``family`` and ``modalities``, and implement ``predict_batch``; ``predict``
    runs it under ``torch.no_grad`` (not ``inference_mode``: under it, torch's FLOP counter
    fails on parametrized modules such as the weight-normed positional convolution of
    wav2vec2 and HuBERT).
    """

    family: ClassVar[str] = ""
    modalities: ClassVar[tuple[Modality, ...]] = ()
    #: How generated answers are cleaned (``None``: returned as decoded, whitespace-stripped).
    postprocess: ClassVar[str | None] = None
    #: Whether the family generates text (a classifier such as ViLT does not).
    generates: ClassVar[bool] = True

    def __init__(
        self,
        ckpt: Checkpoint,
        module: Any,
        options: HFOptions,
        device: str,
        prompt: str | None = None,
    ) -> None:
        self.ckpt = ckpt
        self.module = module  # torch.nn.Module: mmbench counts its parameters and FLOPs
        self.options = options
        self.device = device
        self.prompt = prompt
        self.name = f"hf:{ckpt.source if is_hub_id(ckpt.source) else ckpt.path.name}"
        self._sha256 = checkpoint_sha256(ckpt.path)

    @property
    def dtype(self) -> Any:
        """The torch dtype of the module's floating weights."""
        return next(p.dtype for p in self.module.parameters() if p.is_floating_point())

    def to(self, device: str, dtype: Any = None) -> HFModel:
        """Move (and with ``dtype``, cast) the module; inputs follow it."""
        if dtype is None:
            self.module.to(device)
        else:
            self.module.to(device=device, dtype=dtype)
        self.device = device
        return self

    def tensors(self, batch: Mapping[str, Any]) -> dict[str, Any]:
        """Processor outputs on the module's device; floating tensors in its dtype."""
        out = {}
        for key, value in batch.items():
            if hasattr(value, "to"):
                value = (
                    value.to(self.device, self.dtype)
                    if value.is_floating_point()
                    else value.to(self.device)
                )
            out[key] = value
        return out

    def generation_settings(self) -> dict[str, Any]:
        """Arguments every ``generate`` call gets: greedy unless ``num_beams`` > 1."""
        return {
            "do_sample": False,
            "num_beams": self.options.num_beams,
            "max_new_tokens": self.options.max_new_tokens,
        }

    def generate(self, inputs: Mapping[str, Any]) -> Any:
        """``module.generate`` on ``inputs`` with :meth:`generation_settings` (phase
        ``generate``); returns the output ids ``[B, T]``."""
        with model_phase("generate"):
            return self.module.generate(**inputs, **self.generation_settings())

    def report_generated(self, new_ids: Any, stop_ids: Iterable[int]) -> None:
        """Tell the profiler how many tokens the batch generated (``new_ids`` ``[B, T]``)."""
        report_tokens(generated_tokens(new_ids, stop_ids))

    @abstractmethod
    def predict_batch(self, samples: Sequence[Sample]) -> list[str]:
        """One output per sample, in order (``predict`` runs it without autograd)."""

    def predict(self, samples: Sequence[Sample]) -> list[str]:
        import torch

        if not samples:
            return []
        with torch.no_grad():
            return self.predict_batch(samples)

    def info(self) -> dict[str, Any]:
        """What decides the outputs (the fingerprint hashes all but ``device``)."""
        return {
            "family": self.family,
            "transformers": version("transformers"),
            "model_type": self.ckpt.model_type,
            "architectures": self.ckpt.architectures,
            "parameters": parameter_count(self.module),
            "dtype": str(self.dtype).removeprefix("torch."),
            "checkpoint_sha256": self._sha256,
            "generation": self.generation_settings() if self.generates else None,
            "prompt": self.prompt,
            "postprocess": self.postprocess,
            "options": asdict(self.options),
            "device": self.device,
        }
