"""Atomic, idempotent generation of embedded datasets under the data root.

A generator builds a dataset folder into a temporary sibling, writes a marker file
(:data:`MARKER`: generator name, version, file count, content hash) last, then renames the
folder into place. A folder without a valid marker — a killed generation, an older
version — is rebuilt; a valid one is left alone, so calling a generator again is cheap.

>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp()) / "demo"
>>> def build(tmp):
...     (tmp / "a.txt").write_text("hello")
...     return content_hash([b"hello"])
>>> ensure_built(root, "demo", "1", build)
True
>>> ensure_built(root, "demo", "1", build)  # already there: nothing to do
False
>>> read_marker(root)["n_files"]
1
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

#: Name of the marker file written last inside a generated folder.
MARKER = ".mmbench-generated.json"


def content_hash(chunks: Iterable[bytes]) -> str:
    """sha256 over length-prefixed chunks (so chunk boundaries matter)."""
    h = hashlib.sha256()
    for chunk in chunks:
        h.update(len(chunk).to_bytes(8, "little"))
        h.update(chunk)
    return h.hexdigest()


def count_files(folder: Path) -> int:
    """Regular files under ``folder``, the marker excluded."""
    return sum(1 for p in Path(folder).rglob("*") if p.is_file() and p.name != MARKER)


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a generated folder, or None when absent or unreadable."""
    try:
        return json.loads((Path(folder) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_complete(folder: Path, generator: str, version_prefix: str = "") -> bool:
    """True when ``folder`` holds a complete build of ``generator`` whose version starts
    with ``version_prefix`` (any size or seed: what a user built on purpose is kept)."""
    marker = read_marker(folder)
    return (
        marker is not None
        and marker.get("generator") == generator
        and str(marker.get("version", "")).startswith(version_prefix)
        and marker.get("n_files") == count_files(folder)
    )


def is_built(folder: Path, generator: str, version: str) -> bool:
    """True when ``folder`` holds a complete generation of ``generator`` at ``version``.

    Checks the marker and that the file count still matches it (a deleted file triggers a
    rebuild); the content hash is recorded for provenance, not recomputed here.
    """
    marker = read_marker(folder)
    return (
        marker is not None
        and marker.get("generator") == generator
        and marker.get("version") == version
        and marker.get("n_files") == count_files(folder)
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _remove_orphans(folder: Path) -> None:
    """Delete temporary folders left by killed builds (their process is gone)."""
    for tmp in folder.parent.glob(f".{folder.name}.tmp-*"):
        pid = tmp.name.rsplit(".tmp-", 1)[1].split("-")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_built(
    folder: Path,
    generator: str,
    version: str,
    build: Callable[[Path], str],
    extra: dict[str, Any] | None = None,
) -> bool:
    """Build ``folder`` unless it is already complete; returns True when it built.

    ``build(tmp)`` writes every file under the empty folder ``tmp`` and returns the content
    hash. The marker is written after it, then ``tmp`` is renamed to ``folder`` (an
    incomplete or stale ``folder`` is removed first), so a killed build leaves no folder
    that looks complete.
    """
    folder = Path(folder)
    if is_built(folder, generator, version):
        return False
    folder.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphans(folder)
    tmp = folder.parent / f".{folder.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        digest = build(tmp)
        marker = {
            "generator": generator,
            "version": version,
            "n_files": count_files(tmp),
            "content_sha256": digest,
            **(extra or {}),
        }
        (tmp / MARKER).write_text(
            json.dumps(marker, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        if folder.exists():
            if is_built(folder, generator, version):  # another process finished first
                shutil.rmtree(tmp)
                return False
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return True
