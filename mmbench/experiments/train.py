"""Training of the reference models: seeded, reproducible, CPU-friendly.

The training split is read through the task's own reader (``split="train"``), media are decoded
once into tensors, and a seeded share of the *media* (images, recordings) is held out for
validation, so no validation image is ever seen in training. Every batch holds
``batch_media`` media with all their items (an easy-VQA image with its ~10 questions, a COCO
image with its 5 captions), so each image is encoded once per step.

VQA is trained as classification over the training answers; captioning and ASR as
teacher-forced next-word prediction, validated with greedy decoding.

>>> cfg = TrainConfig(task="easyvqa", fusion="gated", steps=10)
>>> cfg.name
'easyvqa-gated'
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from mmbench.adapters.reference import fusion_label, model_name
from mmbench.datasets.media import load_audio, load_image
from mmbench.experiments.modality_dropout import drop_modalities
from mmbench.models.encoders import images_to_tensor, waves_to_tensor
from mmbench.models.heads import BOS, EOS, PAD, SPECIALS
from mmbench.models.reference import (
    Questions,
    ReferenceConfig,
    build_reference,
    encode,
    pad_ids,
    save_checkpoint,
    sha256_file,
    target_ids,
    words,
)
from mmbench.types import Modality, Sample, TaskKind


@dataclass
class TrainConfig:
    """One training recipe; equal budgets across fusion methods = equal TrainConfigs but fusion.

    ``limit``: train on the first N samples of the training split only (short CI recipes).
    ``threads``: torch intra-op threads, fixed for reproducibility.
    ``ctc_weight``: ASR and spoken questions with transcripts: the share of the auxiliary CTC
    loss (see ``ReferenceConfig``).
    """

    task: str
    fusion: str
    steps: int = 2000
    seed: int = 0
    width: int = 64
    batch_media: int = 32
    lr: float = 3e-3
    warmup: int = 50
    val_fraction: float = 0.05
    limit: int | None = None
    threads: int = 1
    beam_size: int = 3
    ctc_weight: float = 0.5
    modality_dropout: float = 0.0  # VQA: P(an image / a question is replaced by its stand-in)

    @property
    def name(self) -> str:
        return f"{self.task}-{fusion_label(self.fusion)}"


@dataclass
class Prepared:
    """A split decoded into tensors: media once, items pointing at their medium.

    Spoken VQA questions are decoded once per distinct clip into ``clips`` (waves ``[C, T]``,
    lengths ``[C]``), each item pointing at its clip through ``clip_index [I]``.
    """

    kind: TaskKind
    media: tuple[torch.Tensor, ...]  # (images [M, 3, S, S] uint8,) or (waves [M, T], lengths [M])
    texts: list[str]  # per item: the question (VQA) or the target text (caption, ASR)
    answers: list[str]  # per item: the VQA answer ("" otherwise)
    media_index: torch.Tensor  # [I] long: item -> medium
    items_of: list[list[int]] = field(default_factory=list)  # medium -> its items
    clips: tuple[torch.Tensor, torch.Tensor] | None = None  # spoken questions: waves, lengths
    clip_index: torch.Tensor | None = None  # [I] long: item -> clip

    def __post_init__(self) -> None:
        if not self.items_of:
            self.items_of = [[] for _ in range(self.n_media)]
            for i, m in enumerate(self.media_index.tolist()):
                self.items_of[m].append(i)

    @property
    def n_media(self) -> int:
        return int(self.media[0].shape[0])

    def select(self, media: Sequence[int]) -> Prepared:
        """The subset of ``media`` (and their items), renumbered; clips are shared, not copied."""
        media = list(media)
        items = [i for m in media for i in self.items_of[m]]
        new_index = {m: j for j, m in enumerate(media)}
        idx = torch.tensor(media, dtype=torch.long)
        return Prepared(
            self.kind,
            tuple(t[idx] for t in self.media),
            [self.texts[i] for i in items],
            [self.answers[i] for i in items],
            torch.tensor([new_index[int(self.media_index[i])] for i in items], dtype=torch.long),
            clips=self.clips,
            clip_index=None if self.clip_index is None else self.clip_index[items],
        )

    def questions(self, vocab: dict[str, int]) -> Questions:
        """VQA model input for every item: word ids ``[I, L]`` or ``(waves [I, T], lengths)``."""
        if self.clips is None or self.clip_index is None:
            return pad_ids([encode(t, vocab) for t in self.texts])  # [I, L]
        lengths = self.clips[1][self.clip_index]  # [I]
        return self.clips[0][self.clip_index, : int(lengths.max())], lengths  # [I, T], [I]


def prepare(samples: Sequence[Sample], kind: TaskKind, image_size: int = 64) -> Prepared:
    """Decode the media of ``samples`` once (shared files decoded once) into a :class:`Prepared`.

    A VQA sample without question text and with audio is a spoken question: its clip is the
    question, and its ``meta["transcript"]`` (where the training split has one) becomes the
    item's text, the target of the auxiliary CTC loss.
    """
    keys: dict[str, int] = {}
    clip_keys: dict[str, int] = {}
    decoded: list[Any] = []
    clips: list[Any] = []
    texts, answers, index, clip_index = [], [], [], []
    for s in samples:
        path = s.image_path if kind is not TaskKind.ASR else s.audio_path
        key = str(path) if path is not None else f"sample:{s.id}"
        if key not in keys:
            keys[key] = len(decoded)
            decoded.append(load_image(s) if kind is not TaskKind.ASR else load_audio(s))
        if not s.references:
            raise ValueError(f"training sample {s.id!r} has no reference to learn from")
        question = s.text or ""
        if kind is TaskKind.VQA and s.text is None and s.has(Modality.AUDIO):
            clip = str(s.audio_path) if s.audio_path is not None else f"sample:{s.id}"
            if clip not in clip_keys:
                clip_keys[clip] = len(clips)
                clips.append(load_audio(s))
            clip_index.append(clip_keys[clip])
            question = s.meta.get("transcript", "")  # training splits only: CTC targets
        targets = s.references[:1] if kind is not TaskKind.CAPTION else s.references
        for ref in targets:  # VQA: (question, answer); caption: one item per reference
            texts.append(question if kind is TaskKind.VQA else ref)
            answers.append(ref if kind is TaskKind.VQA else "")
            index.append(keys[key])
    if not decoded:
        raise ValueError("no training samples")
    if clip_index and len(clip_index) != len(texts):
        raise ValueError("a VQA split mixes spoken and written questions")
    if kind is TaskKind.ASR:
        media = waves_to_tensor(decoded)  # ([M, T], [M])
    else:
        media = (images_to_tensor(decoded, image_size),)  # ([M, 3, S, S],)
    return Prepared(
        kind, media, texts, answers, torch.tensor(index, dtype=torch.long),
        clips=waves_to_tensor(clips) if clips else None,
        clip_index=torch.tensor(clip_index, dtype=torch.long) if clips else None,
    )  # fmt: skip


def build_config(cfg: TrainConfig, kind: TaskKind, train: Prepared) -> dict[str, Any]:
    """Model config from the training data: vocabularies and answers come from train only."""
    vocab = list(SPECIALS) + sorted({w for t in train.texts for w in words(t)})
    answers = sorted(set(train.answers)) if kind is TaskKind.VQA else []
    if cfg.fusion == "seed":
        from mmbench.models.seed import SeedConfig

        if kind is not TaskKind.VQA or train.clips is not None:
            raise ValueError("the seed model reads written questions; train it on a text VQA task")
        return {"arch": "seed", "model": SeedConfig(vocab=vocab, answers=answers).to_json()}
    upper = kind is TaskKind.ASR and all(t == t.upper() for t in train.texts)
    spoken = train.clips is not None
    max_len = max(len(words(t)) for t in train.texts) + 2
    model = ReferenceConfig(
        kind=kind.value, fusion=cfg.fusion, width=cfg.width, vocab=vocab, answers=answers,
        max_len=max_len, beam_size=cfg.beam_size, upper=upper,
        ctc_weight=cfg.ctc_weight if kind is TaskKind.ASR or (spoken and any(train.texts)) else 0.0,
        question="audio" if spoken else "text",
    )  # fmt: skip
    return {"arch": "reference", "model": model.to_json()}


def build_from_config(config: dict[str, Any]) -> nn.Module:
    if config["arch"] == "seed":
        from mmbench.models.seed import SeedConfig, SeedModel

        return SeedModel(SeedConfig(**config["model"]))
    return build_reference(ReferenceConfig(**config["model"]))


def _batch(data: Prepared, media: list[int], vocab: dict[str, int], answers: dict[str, int]):
    """Tensors for one step: media, per-item inputs, targets, the item -> medium index and,
    for spoken VQA questions, the transcript word ids ``[B, L]`` (the CTC targets; else None)."""
    sub = data.select(media)
    words = None
    if data.kind is TaskKind.VQA:
        inputs = sub.questions(vocab)  # [B, L] ids or ([B, T], [B]) spoken
        targets = torch.tensor([answers[a] for a in sub.answers], dtype=torch.long)  # [B]
        if sub.clips is not None:
            words = pad_ids([encode(t, vocab) for t in sub.texts])  # [B, L] transcripts
    else:
        tgt = [target_ids(t, vocab) for t in sub.texts]
        targets = pad_ids(tgt)  # [B, T]; padding = 0 is ignored by the loss
        inputs = pad_ids([[BOS] + t[:-1] for t in tgt], targets.shape[1])  # [B, T]
    media = sub.media
    if data.kind is TaskKind.ASR:  # cut the split-wide padding down to this batch's longest
        media = (media[0][:, : int(media[1].max())], media[1])  # [B, T], [B]
    return media, inputs, targets, sub.media_index, words


def _ctc(model: nn.Module, enc: Any, words: torch.Tensor) -> torch.Tensor:
    """CTC loss of the audio frames ``enc`` against word ids ``[B, L]`` (blank = <pad>)."""
    log_probs = model.ctc(enc.tokens).log_softmax(2).transpose(0, 1)  # [N, B, V]
    return F.ctc_loss(
        log_probs, words, enc.mask.sum(1), (words != PAD).sum(1), blank=PAD, zero_infinity=True
    )


def _loss(model: nn.Module, kind: TaskKind, batch: tuple) -> torch.Tensor:
    """Cross-entropy (answers, next words), mixed with CTC where the model has a CTC head:
    ``(1 - w) * CE + w * CTC``."""
    media, inputs, targets, index, words = batch
    with_ctc = getattr(model, "ctc", None) is not None
    if kind is TaskKind.VQA:
        if not with_ctc:
            return F.cross_entropy(model(media[0], inputs, index), targets)  # logits [B, A]
        logits, enc = model.forward_train(media[0], inputs, index)  # [B, A], spoken questions
        loss = F.cross_entropy(logits, targets)
    else:
        logits, enc = model.forward_train(media, inputs, index)  # [B, T, V]
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=PAD)
        if not with_ctc:
            return loss
        words = targets.masked_fill(targets == EOS, PAD)  # [B, T]: CTC targets without EOS
    weight = model.cfg.ctc_weight
    return (1 - weight) * loss + weight * _ctc(model, enc, words)


@torch.no_grad()
def evaluate(
    model: nn.Module, data: Prepared, config: dict[str, Any], batch_media: int = 64
) -> dict[str, float]:
    """Validation scores: accuracy (VQA); loss and greedy word error rate (caption, ASR)."""
    model.eval()
    cfg = config["model"]
    vocab = {w: i for i, w in enumerate(cfg["vocab"])}
    answers = {a: i for i, a in enumerate(cfg["answers"])}
    correct = total = 0
    losses, hyps, refs = [], [], []
    for start in range(0, data.n_media, batch_media):
        media = list(range(start, min(start + batch_media, data.n_media)))
        batch = _batch(data, media, vocab, answers) if data.kind is not TaskKind.VQA else None
        if data.kind is TaskKind.VQA:
            sub = data.select(media)
            logits = model(sub.media[0], sub.questions(vocab), sub.media_index)
            pred = [cfg["answers"][i] for i in logits.argmax(1).tolist()]
            correct += sum(p == a for p, a in zip(pred, sub.answers, strict=True))
            total += len(pred)
            continue
        losses.append(float(_loss(model, data.kind, batch)))
        sub = data.select(media)
        ids = model.decoder.greedy(*_memory(model, sub), max_len=cfg["max_len"])
        hyps += [" ".join(cfg["vocab"][i] for i in row) for row in ids]
        refs += [" ".join(words(sub.texts[sub.items_of[j][0]])) for j in range(len(media))]
    if data.kind is TaskKind.VQA:
        return {"accuracy": correct / max(total, 1), "n": total}
    import jiwer

    return {"loss": sum(losses) / len(losses), "wer": float(jiwer.wer(refs, hyps)), "n": len(refs)}


def _memory(model: nn.Module, sub: Prepared) -> tuple[torch.Tensor, torch.Tensor]:
    enc = model.encode(sub.media)
    return enc.tokens, enc.mask  # [M, N, D], [M, N]


def _lr_at(step: int, cfg: TrainConfig) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    progress = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class TrainResult:
    model: nn.Module
    config: dict[str, Any]
    card: dict[str, Any]
    weights: Path | None = None


def train(
    cfg: TrainConfig,
    samples: Sequence[Sample],
    kind: TaskKind,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train on ``samples`` (the task's training split); deterministic for a given ``cfg``."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(cfg.threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        return _train(cfg, samples, kind, log or (lambda _: None))
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def _train(
    cfg: TrainConfig, samples: Sequence[Sample], kind: TaskKind, log: Callable[[str], None]
) -> TrainResult:
    t0 = time.perf_counter()
    if cfg.modality_dropout and kind is not TaskKind.VQA:
        raise ValueError("--modality-dropout needs two input modalities: train on a VQA task")
    samples = list(samples)[: cfg.limit] if cfg.limit else list(samples)
    data = prepare(samples, kind)
    gen = torch.Generator().manual_seed(cfg.seed)
    drops = torch.Generator().manual_seed(cfg.seed + 1)  # its own: same batches with or without
    order = torch.randperm(data.n_media, generator=gen).tolist()
    n_val = int(round(cfg.val_fraction * data.n_media)) if data.n_media > 1 else 0
    train_data, val_data = data.select(sorted(order[n_val:])), data.select(sorted(order[:n_val]))
    config = json.loads(json.dumps(build_config(cfg, kind, train_data)))  # as stored on disk
    vocab = {w: i for i, w in enumerate(config["model"]["vocab"])}
    answers = {a: i for i, a in enumerate(config["model"]["answers"])}
    prep_s = time.perf_counter() - t0

    torch.manual_seed(cfg.seed)
    model = build_from_config(config)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    curve: list[list[float]] = []
    perm: list[int] = []
    model.train()
    t1 = time.perf_counter()
    for step in range(cfg.steps):
        if len(perm) < min(cfg.batch_media, train_data.n_media):
            perm += torch.randperm(train_data.n_media, generator=gen).tolist()
        media, perm = sorted(perm[: cfg.batch_media]), perm[cfg.batch_media :]
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, cfg)
        batch = _batch(train_data, media, vocab, answers)
        if cfg.modality_dropout:
            batch = drop_modalities(batch, cfg.modality_dropout, drops)
        loss = _loss(model, kind, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == cfg.steps - 1:
            curve.append([step, round(loss.item(), 5)])
            log(f"{cfg.name} step {step}/{cfg.steps} loss {loss.item():.4f}")
    train_s = time.perf_counter() - t1
    model.eval()
    validation = evaluate(model, val_data, config) if val_data.n_media else {}
    card = {
        "model": model_name(cfg.fusion),
        "task": cfg.task,
        "arch": config["arch"],
        "fusion": cfg.fusion,
        "recipe": asdict(cfg),
        "data": {
            "split": "train",
            "train_media": train_data.n_media,
            "train_items": len(train_data.texts),
            "validation_media": val_data.n_media,
            "validation_items": len(val_data.texts),
            "validation": f"{cfg.val_fraction:.0%} of the training media, seeded hold-out",
        },
        "parameters": sum(p.numel() for p in model.parameters()),
        "final_train_loss": curve[-1][1] if curve else None,
        "loss_curve": curve,
        "validation": validation,
        "wall_time_s": {"prepare": round(prep_s, 2), "train": round(train_s, 2)},
        "environment": {"torch": torch.__version__, "threads": cfg.threads, "device": "cpu"},
    }
    return TrainResult(model, {**config, "task": cfg.task, "recipe": asdict(cfg)}, card)


def save(result: TrainResult, out_dir: Path, name: str) -> Path:
    """Write ``name.safetensors``, ``name.json`` (config) and the card (``.card.json``/``.md``)."""
    from mmbench.atomic import write_json_atomic

    weights = save_checkpoint(result.model, result.config, Path(out_dir) / name)
    result.weights = weights
    result.card["checkpoint_sha256"] = sha256_file(weights)
    result.card["checkpoint_bytes"] = weights.stat().st_size
    write_json_atomic(Path(out_dir) / f"{name}.card.json", result.card)
    (Path(out_dir) / f"{name}.card.md").write_text(card_markdown(result.card), encoding="utf-8")
    return weights


def card_markdown(card: dict[str, Any]) -> str:
    """A short human-readable training card."""
    r, d, arch = card["recipe"], card["data"], card["arch"]
    lines = [
        f"# {card['model']} on {card['task']}",
        "",
        f"- architecture: {arch}, fusion: {card['fusion']}, parameters: {card['parameters']:,}",
        f"- data: {card['task']} train split, {d['train_items']} items on {d['train_media']} "
        f"media; validation: {d['validation_items']} items on {d['validation_media']} "
        "held-out media",
        f"- recipe: {r['steps']} steps x {r['batch_media']} media, lr {r['lr']}, "
        f"width {r['width']}, seed {r['seed']}, {r['threads']} CPU thread(s)",
        f"- wall time: {card['wall_time_s']['train']:.1f} s training, "
        f"{card['wall_time_s']['prepare']:.1f} s decoding",
        f"- final training loss: {card['final_train_loss']}",
        f"- validation: {_fmt(card['validation'])}",
    ]
    if card.get("test"):
        lines.append(f"- test (`mmbench run`): {_fmt(card['test'])}")
    lines.append(f"- weights sha256: `{card.get('checkpoint_sha256', '')}`")
    lines += ["", "Reproduce:", "", "```bash", card.get("command", ""), "```", ""]
    return "\n".join(lines)


def _fmt(scores: dict[str, Any]) -> str:
    return ", ".join(
        f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in scores.items()
    )


def train_task(
    cfg: TrainConfig,
    out_dir: Path,
    data_root: Path | None = None,
    test: bool = True,
    command: str = "",
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train on the task's training split, save weights + config + card under ``out_dir``,
    then (``test``) evaluate the saved checkpoint with :func:`mmbench.runner.run_task` and
    record the test scores in the card."""
    from mmbench.adapters.reference import load_reference
    from mmbench.atomic import write_json_atomic
    from mmbench.runner import RunConfig, run_task
    from mmbench.tasks import load_task

    task = load_task(cfg.task)
    samples = list(task.samples(data_root, split="train"))
    result = train(cfg, samples, task.kind, log)
    result.card["command"] = command
    weights = save(result, out_dir, cfg.name)
    if test:
        import tempfile

        model = load_reference(weights, result.card["model"])
        with tempfile.TemporaryDirectory() as tmp:  # only the scores are kept, in the card
            run = run_task(
                model.name,
                task,
                RunConfig(out_dir=tmp, data_root=data_root, progress=False, workers=0),
                model=model,
            )
        result.card["test"] = {k: v["value"] for k, v in run.record["scores"].items()}
        result.card["test_run"] = {
            "n_samples": run.record["n_samples"],
            "n_errors": run.record["n_errors"],
            "samples_per_s": run.record["profile"].get("samples_per_s"),
            "task_version": task.version,
        }
        write_json_atomic(Path(out_dir) / f"{cfg.name}.card.json", result.card)
        (Path(out_dir) / f"{cfg.name}.card.md").write_text(card_markdown(result.card), "utf-8")
    return result
