"""The ``--fusion`` option of ``mmbench train`` and ``mmbench compare``."""

from __future__ import annotations

from collections.abc import Sequence

ALL = "all"


def fusion_variants(requested: Sequence[str]) -> list[str]:
    """Expand ``all`` (every shipped fusion method, then ``seed``) and check the others: a
    shipped method, ``seed``, or ``pkg.module:Class``, a fusion of your own, imported now so
    that a typo fails before any training starts.

    >>> fusion_variants(["gated", "seed"])
    ['gated', 'seed']
    """
    from mmbench.adapters.reference import FUSION_NAMES
    from mmbench.cli._errors import CommandError
    from mmbench.registry import UnknownNameError

    known = [*FUSION_NAMES, "seed"]
    out: list[str] = []
    for name in requested:
        names = known if name == ALL else [name]
        if name != ALL and name not in known:
            if ":" not in name:
                raise UnknownNameError("fusion", name, [*known, ALL, "pkg.module:Class"])
            from mmbench.models.fusion import resolve_fusion

            try:
                resolve_fusion(name)
            except (KeyError, TypeError) as exc:
                raise CommandError(exc.args[0]) from None
        out += [n for n in names if n not in out]
    return out
