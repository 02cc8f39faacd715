"""One small registry class for models, readers, metrics and normalizers.

Entries register themselves with a decorator in their own module; a registry imports the
modules of its package lazily on first lookup, so adding a model is adding a file.

>>> r = Registry("widget")
>>> @r.register("spoon")
... def make_spoon():
...     return "spoon"
>>> r.get("spoon")()
'spoon'
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """A name not in a registry; the message lists the closest known names."""

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        listing = ", ".join(known) if known else "(none)"
        msg = f"unknown {kind} {name!r}.{hint} Known {kind}s: {listing}"
        super().__init__(msg)
        self.message = msg
        self.close = close

    def __str__(self) -> str:
        return self.message


class Registry(Generic[T]):
    """Maps names to factories; discovers entries in ``packages`` and ``entry_point_group``."""

    def __init__(
        self,
        kind: str,
        packages: Iterable[str] = (),
        entry_point_group: str | None = None,
    ) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}
        self._packages = tuple(packages)
        self._group = entry_point_group
        self._builtin_discovered = False
        self._discovered = False

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: ``@MODELS.register("prior")``."""

        def add(obj: T) -> T:
            if name in self._entries and self._entries[name] is not obj:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            return obj

        return add

    def _discover_builtin(self) -> None:
        if self._builtin_discovered:
            return
        self._builtin_discovered = True
        for package in self._packages:
            pkg = importlib.import_module(package)
            for info in pkgutil.iter_modules(pkg.__path__):
                if not info.name.startswith("_"):
                    importlib.import_module(f"{package}.{info.name}")

    def _discover(self) -> None:
        self._discover_builtin()
        if self._discovered:
            return
        self._discovered = True
        if self._group:  # scanning the installed distributions costs ~20-40 ms
            from importlib.metadata import entry_points

            for ep in entry_points(group=self._group):
                self._entries.setdefault(ep.name, ep.load())

    def get(self, name: str) -> T:
        """The entry ``name``; plugins (entry points) are looked up only for a name that is
        not built in (built-in entries win over plugins of the same name anyway)."""
        self._discover_builtin()
        if name not in self._entries:
            self._discover()
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._entries) from None

    def __contains__(self, name: object) -> bool:
        self._discover()
        return name in self._entries

    def names(self) -> list[str]:
        self._discover()
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        self._discover()
        return sorted(self._entries.items())


MODELS: Registry[Any] = Registry("model", ["mmbench.adapters"], "mmbench.models")
READERS: Registry[Any] = Registry("reader", ["mmbench.datasets"])
METRICS: Registry[Any] = Registry("metric", ["mmbench.metrics"])
NORMALIZERS: Registry[Any] = Registry("normalizer", ["mmbench.normalize"])
#: ``name -> callable(data_root: Path) -> None``: idempotently writes an embedded dataset
#: (official layout) under ``data_root``; tasks name it in ``data.generator``.
GENERATORS: Registry[Any] = Registry("generator", ["mmbench.datasets"])
#: ``"<modality>:<name>" -> PerturbationDef``: image / audio / text perturbations and missing
#: modalities (see :mod:`mmbench.perturb`).
PERTURBATIONS: Registry[Any] = Registry("perturbation", ["mmbench.perturb"])
