"""Reference fusion models: assembly, configs, vocabularies and checkpoints.

Two assemblies share every part but the fusion method:

- :class:`FusionVQA`: image tokens and the pooled question are fused, an answer classifier reads
  the fused vector (VQA as classification over the training answers).
- :class:`FusionCaptioner`: image tokens (captioning) or audio frames (ASR) are the memory of a
  :class:`~mmbench.models.heads.FusionDecoder` that fuses memory and text state at every step.

Checkpoints are a ``.safetensors`` file (weights) next to a ``.json`` file (the
:class:`ReferenceConfig`, vocabularies included); :func:`load_checkpoint` reads them back.

>>> cfg = ReferenceConfig(kind="vqa", fusion="gated", width=16, vocab=list(SPECIALS) + ["red"],
...                       answers=["yes", "no"])
>>> model = build_reference(cfg)
>>> import torch
>>> logits = model(torch.zeros(2, 3, 64, 64, dtype=torch.uint8), torch.tensor([[4], [4]]))
>>> tuple(logits.shape)
(2, 2)
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from mmbench.models.encoders import (
    AudioEncoder,
    AudioEncoderConfig,
    ImageEncoder,
    ImageEncoderConfig,
    TextEncoder,
    TextEncoderConfig,
)
from mmbench.models.fusion import build_fusion
from mmbench.models.heads import EOS, SPECIALS, UNK, AnswerClassifier, FusionDecoder

_WORD = re.compile(r"[\w']+")
#: VQA questions: word ids ``[B, L]``, or spoken ``(waves [B, T], lengths [B])``
Questions = torch.Tensor | tuple[torch.Tensor, torch.Tensor]
#: ``(image tokens [B, N, D], question vectors [B, D])`` -> the same with missing inputs replaced
StandIn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def words(text: str) -> list[str]:
    """Lower-cased word tokens: ``words("Is it RED?") == ['is', 'it', 'red']``."""
    return _WORD.findall(text.lower())


def encode(text: str, vocab: dict[str, int]) -> list[int]:
    """Word ids, unknown words as ``<unk>``."""
    return [vocab.get(w, UNK) for w in words(text)]


def pad_ids(rows: list[list[int]], length: int | None = None) -> torch.Tensor:
    """Right-padded id matrix ``[B, L]`` (at least one column)."""
    n = max([length or 0, 1, *(len(r) for r in rows)])
    out = torch.zeros(len(rows), n, dtype=torch.long)  # [B, L]
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r[:n], dtype=torch.long)
    return out


@dataclass
class ReferenceConfig:
    """Everything needed to rebuild a reference model (stored as the checkpoint's JSON).

    ``kind``: ``vqa`` | ``caption`` | ``asr``. ``vocab``: input words (VQA questions) or output
    words (captions, transcripts), specials first. ``answers``: VQA answer classes.
    ``upper``: transcripts are upper-cased on output (LibriSpeech style).
    ``regions`` (VQA): fuse the question with every image region, then pool the fused regions
    (question-conditioned spatial fusion); ``False`` fuses once, with the attention-pooled image.
    ``text_pool`` (VQA): how the question's GRU states become one vector (``max`` | ``last``).
    ``question`` (VQA): ``text`` (word ids through the text encoder) or ``audio`` (a spoken
    question through the audio encoder, its frame states max-pooled like the text's).
    ``ctc_weight`` (ASR, spoken VQA questions): weight of an auxiliary CTC loss on the audio
    frames during training (joint CTC-attention, Kim et al., 2017): it teaches the encoder the
    words early (and a monotonic alignment), which the main loss alone finds slowly on small
    data. Decoding and answering never use it.
    """

    kind: str
    fusion: str
    width: int = 64
    vocab: list[str] = field(default_factory=lambda: list(SPECIALS))
    answers: list[str] = field(default_factory=list)
    image: ImageEncoderConfig = field(default_factory=ImageEncoderConfig)
    audio: AudioEncoderConfig = field(default_factory=AudioEncoderConfig)
    max_len: int = 24
    beam_size: int = 3
    upper: bool = False
    regions: bool = True
    text_pool: str = "max"
    ctc_weight: float = 0.0
    question: str = "text"

    def __post_init__(self) -> None:
        if isinstance(self.image, dict):
            self.image = ImageEncoderConfig(
                **{**self.image, "channels": tuple(self.image["channels"])}
            )
        if isinstance(self.audio, dict):
            self.audio = AudioEncoderConfig(**self.audio)
        self.image.width = self.audio.width = self.width
        if self.kind not in ("vqa", "caption", "asr"):
            raise ValueError(f"kind must be vqa, caption or asr, got {self.kind!r}")
        if self.question not in ("text", "audio"):
            raise ValueError(f"question must be text or audio, got {self.question!r}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def vocab_index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.vocab)}


class FusionVQA(nn.Module):
    """Image + question -> answer logits.

    With ``cfg.regions`` (the default) the fusion runs at every image region,
    ``f_r = F(image_token_r, question)`` for the ``R`` feature-map tokens, and the fused regions
    are max-pooled over the regions, as in MCB/MLB-style VQA models: the question shapes each
    region's features before any spatial reduction. Without it, the fusion attends to the image
    tokens itself and is applied once.
    """

    def __init__(self, cfg: ReferenceConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.image = ImageEncoder(cfg.image)
        if cfg.question == "audio":  # spoken questions
            self.speech = AudioEncoder(cfg.audio)
        else:
            self.text = TextEncoder(TextEncoderConfig(len(cfg.vocab), cfg.width, cfg.text_pool))
        self.fusion = build_fusion(cfg.fusion, cfg.width, cfg.width, cfg.width)
        self.head = AnswerClassifier(cfg.width, len(cfg.answers))
        # spoken questions: word logits per frame for the CTC loss (blank = <pad>); training only
        spoken_ctc = cfg.question == "audio" and cfg.ctc_weight > 0
        self.ctc = nn.Linear(cfg.width, len(cfg.vocab)) if spoken_ctc else None

    def forward(
        self,
        images: torch.Tensor,
        questions: Questions,
        image_index: torch.Tensor | None = None,
        stand_in: StandIn | None = None,
    ) -> torch.Tensor:
        """``images [M, 3, S, S]`` uint8; ``questions``: word ids ``[B, L]``, or for spoken
        questions ``(waves [B, T], lengths [B])``; ``image_index [B]`` maps each question to its
        image (so an image asked ten questions is encoded once); ``stand_in`` replaces the
        encoders' outputs of missing inputs (see :mod:`mmbench.models.stand_in`)."""
        return self.forward_train(images, questions, image_index, stand_in)[0]

    def forward_train(
        self,
        images: torch.Tensor,
        questions: Questions,
        image_index: torch.Tensor | None = None,
        stand_in: StandIn | None = None,
    ) -> tuple[torch.Tensor, Any]:
        """Answer logits ``[B, A]`` and the spoken questions' encoding (None for text)."""
        img = self.image(images)  # tokens [M, N, D]
        tokens = img.tokens if image_index is None else img.tokens[image_index]  # [B, N, D]
        q, enc = self.question(questions)  # [B, D]
        if stand_in is not None:
            tokens, q = stand_in(tokens, q)
        return self.fuse(tokens, q), enc

    def fuse(self, tokens: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        """Answer logits ``[B, A]`` from image tokens ``[B, N, D]`` and question vectors
        ``[B, D]`` (the encoders' outputs)."""
        if not self.cfg.regions:
            return self.head(self.fusion(tokens, q))  # [B, A]
        b, n, d = tokens.shape
        per_region = q[:, None].expand(b, n, q.shape[1]).reshape(b * n, -1)  # [B*N, D]
        fused = self.fusion(tokens.reshape(b * n, d), per_region).view(b, n, -1)  # [B, N, D]
        return self.head(fused.amax(dim=1))  # [B, D] max over regions -> [B, A]

    def question(self, questions: Questions) -> tuple[torch.Tensor, Any]:
        """The question vector ``[B, D]`` from word ids or from ``(waves, lengths)``, and the
        spoken question's encoding (None for text)."""
        if self.cfg.question == "text":
            return self.text(questions).pooled, None  # [B, D]
        enc = self.speech(*questions)  # tokens [B, N, D], mask [B, N]
        pooled = enc.tokens.masked_fill(~enc.mask[..., None], float("-inf")).amax(dim=1)  # [B, D]
        return pooled, enc

    def answer(
        self, images: torch.Tensor, questions: Questions, stand_in: StandIn | None = None
    ) -> list[str]:
        logits = self(images, questions, stand_in=stand_in)  # [B, A]
        return [self.cfg.answers[i] for i in logits.argmax(dim=1).tolist()]


class FusionCaptioner(nn.Module):
    """Image (caption) or audio (ASR) memory -> text through a fusing decoder."""

    def __init__(self, cfg: ReferenceConfig) -> None:
        super().__init__()
        self.cfg = cfg
        if cfg.kind == "caption":
            self.encoder: nn.Module = ImageEncoder(cfg.image)
        else:
            self.encoder = AudioEncoder(cfg.audio)
        self.decoder = FusionDecoder(len(cfg.vocab), cfg.width, cfg.width, cfg.fusion)
        # word logits per audio frame for the CTC loss (blank = <pad>, id 0); training only
        self.ctc = nn.Linear(cfg.width, len(cfg.vocab)) if cfg.ctc_weight > 0 else None

    def encode(self, media: tuple[torch.Tensor, ...]) -> Any:
        return self.encoder(*media)  # Encoded(tokens [M, N, D], pooled [M, D], mask [M, N])

    def forward(
        self,
        media: tuple[torch.Tensor, ...],
        inputs: torch.Tensor,
        media_index: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Teacher forcing: ``inputs [B, T]`` -> logits ``[B, T, V]``; ``media_index [B]``."""
        return self.forward_train(media, inputs, media_index)[0]

    def forward_train(
        self,
        media: tuple[torch.Tensor, ...],
        inputs: torch.Tensor,
        media_index: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, Any]:
        """Decoder logits ``[B, T, V]`` and the encoding each item read (for auxiliary losses)."""
        enc = self.encode(media)
        if media_index is not None:
            enc = type(enc)(*(t[media_index] for t in enc))  # [B, ...]
        return self.decoder(enc.tokens, enc.pooled, enc.mask, inputs), enc  # [B, T, V]

    def generate(self, media: tuple[torch.Tensor, ...], beam_size: int | None = None) -> list[str]:
        enc = self.encode(media)
        k = self.cfg.beam_size if beam_size is None else beam_size
        if k <= 1:
            ids = self.decoder.greedy(enc.tokens, enc.mask, self.cfg.max_len, enc.pooled)
        else:
            ids = self.decoder.beam(enc.tokens, enc.mask, self.cfg.max_len, k, enc.pooled)
        texts = [" ".join(self.cfg.vocab[i] for i in row) for row in ids]
        return [t.upper() for t in texts] if self.cfg.upper else texts


def build_reference(cfg: ReferenceConfig) -> nn.Module:
    """The assembly for ``cfg.kind`` (``seed`` configs are built by :mod:`mmbench.models.seed`)."""
    return FusionVQA(cfg) if cfg.kind == "vqa" else FusionCaptioner(cfg)


def target_ids(text: str, vocab: dict[str, int]) -> list[int]:
    """Decoder targets: word ids followed by EOS."""
    return encode(text, vocab) + [EOS]


# ------------------------------------------------------------------------------ checkpoints


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(
    model: nn.Module, config: dict[str, Any], path: Path, dtype: torch.dtype = torch.float16
) -> Path:
    """Write ``path.safetensors`` (weights) and ``path.json`` (config); returns the weights path.

    Floating-point tensors are stored as ``dtype`` (float16 halves the shipped size; loading
    casts them back to the model's float32 parameters).
    """
    from safetensors.torch import save_file

    from mmbench.atomic import write_json_atomic

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    weights = path.with_suffix(".safetensors")
    tmp = weights.with_name(f".{weights.name}.tmp")
    state = {
        k: (v.to(dtype) if v.is_floating_point() else v).detach().contiguous().cpu()
        for k, v in model.state_dict().items()
    }
    save_file(state, str(tmp), metadata={"format": "pt"})  # one key: a byte-stable header
    tmp.replace(weights)
    write_json_atomic(path.with_suffix(".json"), config)
    return weights


def load_state(model: nn.Module, weights: Path) -> nn.Module:
    """Load safetensors weights strictly (every key must match) and switch to eval mode."""
    from safetensors.torch import load_file

    model.load_state_dict(load_file(str(weights)), strict=True)
    return model.eval()


def load_checkpoint(path: Path) -> tuple[nn.Module, dict[str, Any]]:
    """``(model in eval mode, config dict)`` from ``path.safetensors`` + ``path.json``."""
    path = Path(path)
    config = json.loads(path.with_suffix(".json").read_text())
    if config.get("arch") == "reference":
        # checkpoints written before these options existed
        config["model"].setdefault("regions", False)
        config["model"].setdefault("text_pool", "last")
        if isinstance(config["model"].get("audio"), dict):  # before the bidirectional encoder
            config["model"]["audio"].setdefault("bidirectional", False)
    if config.get("arch") == "seed":
        from mmbench.models.seed import SeedConfig, SeedModel

        model: nn.Module = SeedModel(SeedConfig(**config["model"]))
    else:
        model = build_reference(ReferenceConfig(**config["model"]))
    return load_state(model, path.with_suffix(".safetensors")), config
