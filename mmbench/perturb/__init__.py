"""Perturbed and missing modalities: image, audio and text perturbations at severities 1-5.

Every perturbation is registered in :data:`mmbench.registry.PERTURBATIONS` as
``"<modality>:<name>"`` (plus ``missing:<modality>``) with its severity table; a
:class:`Pipeline` parsed from ``--perturb`` specs applies them, in order, to each sample after
decoding (in the DataLoader workers). See ``docs/robustness.md``.

>>> from mmbench.registry import PERTURBATIONS
>>> [n for n in PERTURBATIONS.names() if n.startswith("image:")][:3]
['image:brightness', 'image:contrast', 'image:gaussian_blur']
"""

from mmbench.perturb.definition import Perturbation, PerturbationDef, PerturbationError, rng_for
from mmbench.perturb.pipeline import Pipeline, expand, parse_one

__all__ = [
    "Perturbation",
    "PerturbationDef",
    "PerturbationError",
    "Pipeline",
    "expand",
    "parse_one",
    "rng_for",
]
