"""Learned stand-ins for a missing modality of a frozen reference VQA model.

A reference VQA model fed a mid-grey image (``--perturb missing:image``) or an empty question
is misled: it was trained on complete inputs. A :class:`StandIns` replaces, for the items of
a batch whose modality is missing, the *encoder output* of that modality with a learned one:
``image`` (the image tokens ``[N, D]``) and ``question`` (the pooled question vector ``[D]``,
written or spoken). :func:`fit_stand_ins` fits them on a training split with the model
frozen, maximising the answer likelihood with the modality removed, so the model's
predictions on complete inputs stay bit-identical.

They are stored next to the weights, ``<task>-<fusion>.stand-in.safetensors`` (the weights'
bytes are untouched), with the SHA-256 of the weights they were fitted to in the metadata.

>>> import torch
>>> s = StandIns(image=torch.ones(4, 2), question=torch.zeros(2))
>>> tokens, q = s(torch.zeros(3, 4, 2), torch.ones(3, 2), torch.tensor([True, False, False]),
...               torch.tensor([False, False, True]))
>>> tokens[:, 0, 0].tolist(), q[:, 0].tolist()
([1.0, 0.0, 0.0], [1.0, 1.0, 0.0])
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

#: A stand-in file's suffix: ``easyvqa-gated.safetensors`` -> ``easyvqa-gated.stand-in.safetensors``
SUFFIX = ".stand-in.safetensors"


def stand_in_path(weights: Path) -> Path:
    """The stand-in file that belongs to a checkpoint's weights.

    >>> stand_in_path(Path("w/easyvqa-gated.safetensors")).as_posix()
    'w/easyvqa-gated.stand-in.safetensors'
    """
    weights = Path(weights)
    return weights.with_name(weights.name.removesuffix(".safetensors") + SUFFIX)


class StandIns(nn.Module):
    """Learned encoder outputs for a missing image (tokens ``[N, D]``) and a missing question
    (pooled vector ``[D]``); either may be absent (then that modality keeps its old stand-in)."""

    def __init__(self, image: torch.Tensor | None = None, question: torch.Tensor | None = None):
        super().__init__()
        self.image = None if image is None else nn.Parameter(image.detach().clone().float())
        self.question = (
            None if question is None else nn.Parameter(question.detach().clone().float())
        )

    def forward(
        self,
        tokens: torch.Tensor,
        q: torch.Tensor,
        missing_image: torch.Tensor,
        missing_question: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """``tokens [B, N, D]`` and ``q [B, D]`` with the missing items' rows replaced
        (``missing_image``, ``missing_question``: ``[B]`` bool)."""
        if self.image is not None and bool(missing_image.any()):
            tokens = torch.where(missing_image[:, None, None], self.image[None], tokens)
        if self.question is not None and bool(missing_question.any()):
            q = torch.where(missing_question[:, None], self.question[None], q)
        return tokens, q  # [B, N, D], [B, D]


def save_stand_ins(stand_ins: StandIns, path: Path, metadata: dict[str, Any]) -> Path:
    """Write ``path`` atomically (float32 tensors ``image`` / ``question``; ``metadata`` as
    JSON strings, the fitted weights' ``checkpoint_sha256`` among them)."""
    from safetensors.torch import save

    from mmbench.atomic import write_bytes_atomic

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().float().contiguous().cpu() for k, v in stand_ins.state_dict().items()}
    meta = {"format": "pt", **{k: json.dumps(v, sort_keys=True) for k, v in metadata.items()}}
    return write_bytes_atomic(path, save(tensors, metadata=meta))


def load_stand_ins(path: Path, checkpoint_sha256: str, width: int) -> StandIns:
    """The stand-ins in ``path``; a clear error if they were fitted to other weights or do not
    fit the model's width."""
    from safetensors import safe_open

    path = Path(path)
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (safe_open has no iter)
    fitted_to = json.loads(meta.get("checkpoint_sha256", "null"))
    if fitted_to != checkpoint_sha256:
        raise ValueError(
            f"stand-in {path} was fitted to weights with sha256 {fitted_to}, not to these "
            f"({checkpoint_sha256}); refit it with `mmbench train --fit-stand-ins` or remove it"
        )
    unknown = set(tensors) - {"image", "question"}
    dims = {"image": 2, "question": 1}
    bad = [k for k, v in tensors.items() if v.shape[-1] != width or v.dim() != dims.get(k)]
    if unknown or bad or not tensors:
        found = {k: list(v.shape) for k, v in tensors.items()}
        raise ValueError(f"stand-in {path}: expected tensors image [N, {width}] and/or "
                         f"question [{width}], found {found}")  # fmt: skip
    return StandIns(tensors.get("image"), tensors.get("question")).eval()


# ------------------------------------------------------------------------------- fitting


@dataclass
class StandInFit:
    """Recipe of :func:`fit_stand_ins`: Adam with cosine decay, ``batch`` items per step."""

    steps: int = 300
    lr: float = 0.05
    batch: int = 512
    seed: int = 0


def _optimise(
    param: nn.Parameter,
    n_items: int,
    loss_of: Callable[[torch.Tensor], torch.Tensor],
    score: Callable[[], dict[str, float]],
    fit: StandInFit,
) -> dict[str, Any]:
    """Adam on ``param`` alone; ``loss_of(item indices)`` -> mean loss. Every 50 steps and at
    the end ``score()`` (accuracy and loss on every training item) is measured, and the value
    of ``param`` with the best accuracy, then the lowest loss, the starting one included, is
    kept: the likelihood is what is optimised, but its optimum is not always the most accurate
    argmax. Returns the minibatch loss curve, the scores and the step kept (0: the start)."""
    gen = torch.Generator().manual_seed(fit.seed)
    opt = torch.optim.Adam([param], lr=fit.lr)

    def rank(s: dict[str, float]) -> tuple[float, float]:
        return s["accuracy"], -s["loss"]

    scores = [score()]
    best, best_step, best_rank = param.detach().clone(), 0, rank(scores[0])
    losses = []
    for step in range(fit.steps):
        for group in opt.param_groups:
            group["lr"] = fit.lr * 0.5 * (1 + math.cos(math.pi * step / fit.steps))
        idx = torch.randint(n_items, (min(fit.batch, n_items),), generator=gen)  # [b]
        loss = loss_of(idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if (step + 1) % 50 == 0 or step == fit.steps - 1:
            losses.append(round(loss.item(), 5))
            scores.append(score())
            if rank(scores[-1]) > best_rank:
                best, best_step, best_rank = param.detach().clone(), step + 1, rank(scores[-1])
    with torch.no_grad():
        param.copy_(best)
    curve = [{k: round(v, 5) for k, v in s.items()} for s in scores]
    return {"batch_loss": losses, "scores": curve, "kept_step": best_step}


def missing_scores(
    model: nn.Module,
    stand_ins: StandIns,
    tokens: torch.Tensor,
    q: torch.Tensor,
    image_index: torch.Tensor,
    targets: torch.Tensor,
    chunk: int = 2048,
    modalities: tuple[str, ...] = ("image", "question"),
) -> dict[str, dict[str, float]]:
    """Answer cross-entropy and accuracy with the image missing and with the question
    missing (those of ``modalities``), given the precomputed image tokens ``[M, N, D]`` and
    question vectors ``[I, D]``."""
    out = {}
    with torch.no_grad():
        for name in modalities:
            value = getattr(stand_ins, name)
            if value is None:
                continue
            loss = correct = 0.0
            for i in range(0, len(targets), chunk):
                t, qi = tokens[image_index[i : i + chunk]], q[i : i + chunk]  # [b, N, D], [b, D]
                if name == "image":
                    t = value[None].expand_as(t)
                else:
                    qi = value[None].expand_as(qi)
                logits = model.fuse(t, qi)  # [b, A]
                y = targets[i : i + chunk]
                loss += float(F.cross_entropy(logits, y, reduction="sum"))
                correct += float((logits.argmax(1) == y).sum())
            out[name] = {"loss": loss / len(targets), "accuracy": correct / len(targets)}
    return out


def fit_stand_ins(
    model: nn.Module,
    images: torch.Tensor,
    questions: Any,
    image_index: torch.Tensor,
    targets: torch.Tensor,
    blank_image: torch.Tensor,
    blank_question: Any,
    fit: StandInFit | None = None,
    question_index: torch.Tensor | None = None,
    chunk: int = 512,
) -> tuple[StandIns, dict[str, Any]]:
    """Fit an image and a question stand-in to a frozen :class:`~mmbench.models.reference.
    FusionVQA` ``model`` on ``images [M, 3, S, S]``, ``questions`` (ids ``[Q, L]`` or
    ``(waves [Q, T], lengths [Q])``), ``image_index [I]`` and answer ids ``targets [I]``; the
    questions are per item, or shared through ``question_index [I]`` (one clip asked of many
    images is encoded once).

    Both start from what the model sees today for a missing input, the encoding of
    ``blank_image [1, 3, S, S]`` and of ``blank_question`` (one item), so a fit can only lower
    the training loss. The encoders run once; each step runs only fusion and head. Returns
    the stand-ins and a report (training loss and accuracy before and after, the recipe).
    """
    fit = fit or StandInFit()
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        tokens = torch.cat([model.image(images[i : i + chunk]).tokens
                            for i in range(0, len(images), chunk)])  # fmt: skip  # [M, N, D]
        n = len(targets)
        if isinstance(questions, tuple):  # spoken: (waves [Q, T], lengths [Q])
            parts = []
            for i in range(0, len(questions[1]), chunk):
                lengths = questions[1][i : i + chunk]
                waves = questions[0][i : i + chunk, : int(lengths.max())]
                parts.append(model.question((waves, lengths))[0])
            q = torch.cat(parts)  # [Q, D]
        else:
            q = torch.cat([model.question(questions[i : i + chunk])[0]
                           for i in range(0, len(questions), chunk)])  # fmt: skip  # [Q, D]
        q = q if question_index is None else q[question_index]  # [I, D]
        start = StandIns(model.image(blank_image).tokens[0], model.question(blank_question)[0][0])
    stand_ins = StandIns(start.image, start.question)
    before = missing_scores(model, start, tokens, q, image_index, targets)

    def image_loss(idx: torch.Tensor) -> torch.Tensor:
        img = stand_ins.image[None].expand(len(idx), *stand_ins.image.shape)  # [b, N, D]
        return F.cross_entropy(model.fuse(img, q[idx]), targets[idx])

    def question_loss(idx: torch.Tensor) -> torch.Tensor:
        qs = stand_ins.question[None].expand(len(idx), -1)  # [b, D]
        return F.cross_entropy(model.fuse(tokens[image_index[idx]], qs), targets[idx])

    def score(name: str) -> Callable[[], dict[str, float]]:
        return lambda: missing_scores(
            model, stand_ins, tokens, q, image_index, targets, modalities=(name,)
        )[name]

    curves = {
        "image": _optimise(stand_ins.image, n, image_loss, score("image"), fit),
        "question": _optimise(stand_ins.question, n, question_loss, score("question"), fit),
    }
    stand_ins.eval()
    after = missing_scores(model, stand_ins, tokens, q, image_index, targets)
    report = {"fit": asdict(fit), "items": n, "images": len(images), "before": before,
              "after": after, "curves": curves}  # fmt: skip
    return stand_ins, report
