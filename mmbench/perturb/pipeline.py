"""Perturbation specs and the pipeline that applies them to samples in DataLoader workers.

A spec is ``<modality>:<name>[@<args>]``; args, comma-separated: a severity ``1``-``5``, or
the perturbation's parameter ``<param>=<value>``, and optionally ``seed=<int>`` (default 0).
``missing:<modality>`` takes no args. ``<modality>:all`` names a family (every perturbation of
that modality), which :func:`expand` turns into its members (for ``mmbench robustness``).

>>> pipe = Pipeline.parse(["image:gaussian_noise@3", "audio:white_noise@snr=10,seed=7"])
>>> pipe.spec
'image:gaussian_noise@3+audio:white_noise@snr=10,seed=7'
>>> [s.value for s in pipe.steps]
[0.18, 10.0]
>>> Pipeline.parse(["missing:image"]).removed == {Modality.IMAGE}
True
>>> expand("text:all")
['text:typo', 'text:word_drop']
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from mmbench.datasets.media import decode as decode_media
from mmbench.perturb.definition import (
    SEVERITIES,
    Perturbation,
    PerturbationError,
    definition,
)
from mmbench.registry import PERTURBATIONS, UnknownNameError
from mmbench.types import MediaError, Modality, Sample


def expand(name: str) -> list[str]:
    """The registered names a spec name stands for: itself, or every member of a family
    (``image:all``, ``audio:all``, ``text:all``; ``missing:all`` is each missing modality)."""
    prefix, _, member = name.partition(":")
    if member != "all":
        definition(name)  # unknown names fail here, listing the closest ones
        return [name]
    found = [n for n in PERTURBATIONS.names() if n.partition(":")[0] == prefix]
    if not found:
        raise PerturbationError(f"no perturbation family {name!r}: use image:all, audio:all, "
                                "text:all or missing:all")  # fmt: skip
    return found


def parse_one(spec: str, severity: int | None = None) -> Perturbation:
    """One spec (``image:jpeg@2``, ``audio:white_noise@snr=5``, ``missing:text``) as a step;
    ``severity`` fills in a spec that gives none (how ``mmbench robustness`` sweeps)."""
    name, _, args = spec.strip().partition("@")
    try:
        d = definition(name)
    except UnknownNameError as exc:
        raise PerturbationError(f"--perturb {spec!r}: {exc}") from None
    value: float | None = None
    given: int | None = None
    seed = 0
    for item in filter(None, (a.strip() for a in args.split(","))):
        key, eq, raw = item.partition("=")
        try:
            if not eq:
                given = int(key)
            elif key == "seed":
                seed = int(raw)
            elif key == d.param:
                value = float(raw)
            else:
                takes = f"{d.param} and seed" if d.param else "only seed"
                raise PerturbationError(f"{name} has no parameter {key!r} (it takes {takes})")
        except ValueError as exc:
            if isinstance(exc, PerturbationError):
                raise PerturbationError(f"--perturb {spec!r}: {exc}") from None
            raise PerturbationError(f"--perturb {spec!r}: {item!r} is not a number") from None
    if d.missing:
        if given is not None or value is not None:
            raise PerturbationError(f"--perturb {spec!r}: {name} takes no severity or value")
        return Perturbation(name, seed=seed)
    if value is not None and given is not None:
        raise PerturbationError(f"--perturb {spec!r}: give a severity or {d.param}=, not both")
    severity = given if given is not None else severity
    if value is None:
        if severity is None:
            raise PerturbationError(
                f"--perturb {spec!r}: give a severity ({name}@3, one of 1-5) or a value "
                f"({name}@{d.param}=...)"
            )
        if severity not in SEVERITIES:
            raise PerturbationError(f"--perturb {spec!r}: severity must be 1-5, not {severity}")
        return Perturbation(name, float(d.value_at(severity)), severity, seed)
    return Perturbation(name, value, None, seed)


@dataclass(frozen=True)
class Pipeline:
    """Perturbations applied in order to every sample (picklable: it travels to workers)."""

    steps: tuple[Perturbation, ...] = ()

    @classmethod
    def parse(cls, specs: Sequence[str] | None) -> Pipeline:
        """``--perturb`` values, in order (each may join several specs with ``+``)."""
        parts = [p for s in specs or () for p in s.split("+") if p.strip()]
        return cls(tuple(parse_one(p) for p in parts))

    def __bool__(self) -> bool:
        return bool(self.steps)

    @property
    def spec(self) -> str:
        """Canonical specs joined by ``+`` (what ``--perturb`` would take back)."""
        return "+".join(s.spec for s in self.steps)

    @property
    def removed(self) -> set[Modality]:
        """Modalities made missing."""
        return {s.modality for s in self.steps if definition(s.name).missing}

    @property
    def key(self) -> str:
        """16 hex digits of SHA-256 over every step's parameters and seed."""
        steps = json.dumps([s.to_json() for s in self.steps], sort_keys=True)
        return hashlib.sha256(steps.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        """The results record's ``perturbation``: spec, key and every step's parameters."""
        return {"spec": self.spec, "key": self.key, "steps": [s.to_json() for s in self.steps]}

    def decode(self, sample: Sample, modalities: Collection[Modality] | None = None) -> Sample:
        """Drop missing modalities, decode the rest (:func:`mmbench.datasets.media.decode`),
        then apply the other steps in order; a step that fails raises a MediaError naming
        the sample and the step."""
        if not self.steps:
            return decode_media(sample, modalities)
        removed = self.removed
        sample = dataclasses.replace(
            sample,
            image=None if Modality.IMAGE in removed else sample.image,
            image_path=None if Modality.IMAGE in removed else sample.image_path,
            audio=None if Modality.AUDIO in removed else sample.audio,
            audio_path=None if Modality.AUDIO in removed else sample.audio_path,
            text=None if Modality.TEXT in removed else sample.text,
        )
        sample = decode_media(sample, modalities)
        fields = {"image": sample.image, "audio": sample.audio, "text": sample.text}
        for step in self.steps:
            if step.modality in removed:
                continue
            field = step.modality.value
            try:
                fields[field] = step.apply(fields[field], sample.id)
            except Exception as exc:  # a perturbation bug must not kill the worker
                path = sample.image_path if field == "image" else sample.audio_path
                raise MediaError(
                    sample.id, path, f"perturbation {step.spec} failed: {exc!r}"
                ) from None
        return dataclasses.replace(sample, **fields)
