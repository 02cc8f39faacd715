"""Missing modalities: ``missing:image``, ``missing:audio``, ``missing:text``.

The sample's field becomes ``None`` (and its file reference is dropped, so nothing decodes
it). Shipped models handle that (see ``docs/robustness.md``); a model that lists the modality
in ``required_modalities`` gets a per-sample error instead.

>>> from mmbench.registry import PERTURBATIONS
>>> PERTURBATIONS.get("missing:audio").missing
True
"""

from __future__ import annotations

from mmbench.perturb.definition import PerturbationDef
from mmbench.registry import PERTURBATIONS
from mmbench.types import Modality

for _modality in Modality:
    PERTURBATIONS.register(f"missing:{_modality.value}")(
        PerturbationDef(f"missing:{_modality.value}", _modality, None, (), None, "", "absent")
    )
