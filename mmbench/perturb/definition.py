"""What a perturbation is: a registered definition, and one configured step of a pipeline.

A :class:`PerturbationDef` is registered under ``"<modality>:<name>"`` in
:data:`mmbench.registry.PERTURBATIONS`; it maps severities 1-5 to documented values of its one
parameter. A :class:`Perturbation` is one configured use of it (a severity or an explicit
value, and a seed): the identity that enters prediction-store keys, results records and
metric signatures.

Randomness is drawn from :func:`rng_for`, seeded by a SHA-256 of (sample id, perturbation name,
seed): the same sample always gets the same draw, on any machine, in any worker, and the
severities of one perturbation share their random numbers (common random numbers), so a
higher severity is worse than a lower one on every sample, not only on average. A perturbation
that draws nothing is registered with ``seeded=False`` and gets the shared :data:`UNSEEDED`
generator instead (building a seeded generator costs ~50 us a sample, a tenth of a blur).

>>> p = Perturbation("image:gaussian_noise", 0.18, severity=3)
>>> p.spec
'image:gaussian_noise@3'
>>> Perturbation("audio:white_noise", 10.0).spec
'audio:white_noise@snr=10'
>>> float(rng_for("q1", "image:gaussian_noise", 0).random()) == float(
...     rng_for("q1", "image:gaussian_noise", 0).random())
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmbench.types import Modality

SEVERITIES = (1, 2, 3, 4, 5)

#: The generator handed to perturbations registered with ``seeded=False``: they never draw from
#: it (tested: its state stays put), so it makes nothing depend on the order of samples.
UNSEEDED = np.random.default_rng(0)


class PerturbationError(ValueError):
    """A perturbation spec that cannot be parsed or applied; the message says what to write."""


def rng_for(sample_id: str, name: str, seed: int) -> np.random.Generator:
    """A generator seeded by a stable hash of (sample id, perturbation name, seed).

    Python's ``hash()`` is salted per process; SHA-256 is the same everywhere.
    """
    digest = hashlib.sha256(f"{name}\x1f{seed}\x1f{sample_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def format_value(value: float) -> str:
    """A parameter value as written in specs: ``10`` not ``10.0``, else the shortest repr.

    >>> format_value(10.0), format_value(0.18)
    ('10', '0.18')
    """
    return str(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass(frozen=True)
class PerturbationDef:
    """A registered perturbation: what it changes, its severity table, and the version of its
    implementation (in every record, so a changed implementation never reuses predictions).

    ``fn(x, value, rng)`` returns a perturbed copy of ``x`` (an image ``[H, W, 3]`` uint8, a
    wave ``[T]`` float32 at 16 kHz, or a text), never modifying ``x``. ``levels[s - 1]`` is the
    value of ``param`` at severity ``s``. A missing-modality definition has no ``fn``.
    """

    name: str
    modality: Modality
    param: str | None
    levels: tuple[float, ...]
    fn: Callable[[Any, float, np.random.Generator], Any] | None
    unit: str = ""
    source: str = ""
    version: int = 1  # bumped when the implementation changes: part of the identity
    seeded: bool = True  # False: ``fn`` draws nothing and gets UNSEEDED, not rng_for's generator

    @property
    def missing(self) -> bool:
        """Whether this definition removes its modality altogether."""
        return self.fn is None

    def value_at(self, severity: int) -> float:
        """The parameter value of severity 1-5."""
        if severity not in SEVERITIES:
            raise PerturbationError(f"{self.name}: severity must be 1-5, not {severity}")
        return self.levels[severity - 1]


@dataclass(frozen=True)
class Perturbation:
    """One configured step: a registered perturbation at a value (given or from a severity)."""

    name: str
    value: float | None = None
    severity: int | None = None
    seed: int = 0

    @property
    def modality(self) -> Modality:
        return definition(self.name).modality

    @property
    def spec(self) -> str:
        """The canonical spec: severity form when a severity was given, else ``param=value``."""
        out = self.name
        if self.severity is not None:
            out += f"@{self.severity}"
        elif self.value is not None:
            out += f"@{definition(self.name).param}={format_value(self.value)}"
        return out + (f",seed={self.seed}" if self.seed else "")

    def to_json(self) -> dict[str, Any]:
        """Every parameter, for the results record."""
        d = definition(self.name)
        params = {d.param: self.value} if d.param is not None else {}
        return {
            "name": self.name,
            "modality": self.modality.value,
            "severity": self.severity,
            "params": params,
            "seed": self.seed,
            "version": d.version,
        }

    def apply(self, x: Any, sample_id: str) -> Any:
        """The perturbed copy of one sample's medium or text (``None`` stays ``None``)."""
        d = definition(self.name)
        if x is None or d.fn is None:
            return None if d.fn is None else x
        assert self.value is not None  # a non-missing step always carries its value
        rng = rng_for(sample_id, self.name, self.seed) if d.seeded else UNSEEDED
        return d.fn(x, self.value, rng)


def definition(name: str) -> PerturbationDef:
    """The registered definition of ``"<modality>:<name>"``; unknown names list close ones."""
    from mmbench.registry import PERTURBATIONS

    return PERTURBATIONS.get(name)


def register(
    name: str,
    param: str | None,
    levels: tuple[float, ...],
    unit: str = "",
    source: str = "",
    version: int = 1,
    seeded: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator registering ``fn(x, value, rng)`` as ``name`` with its severity table
    (``version``: bump it when the implementation's output changes; ``seeded=False``: ``fn``
    never draws from ``rng``, so :data:`UNSEEDED` is passed instead of a per-sample one)."""
    from mmbench.registry import PERTURBATIONS

    if len(levels) != len(SEVERITIES):
        raise ValueError(f"{name}: give one value per severity 1-5, not {levels}")

    def add(fn: Callable[..., Any]) -> Callable[..., Any]:
        modality = Modality(name.partition(":")[0])  # "image:jpeg" perturbs the image
        PERTURBATIONS.register(name)(
            PerturbationDef(name, modality, param, tuple(levels), fn, unit, source, version, seeded)
        )
        return fn

    return add
