"""Results records: one JSON per (model, task), written atomically and validated by a schema.

>>> env = environment()
>>> sorted(env)[:3]
['cpu', 'device', 'git_commit']
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from mmbench import __version__

SCHEMA_VERSION = 1


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of results files (shipped as ``mmbench/schemas/results.schema.json``)."""
    text = (resources.files("mmbench") / "schemas" / "results.schema.json").read_text()
    return json.loads(text)


@cache
def _validator() -> Any:
    """The schema checked once against its metaschema, then reused (``jsonschema.validate``
    re-checks the schema on every call, which cost more than a small run's bookkeeping)."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


@cache
def _fast_check() -> Any:
    """:func:`mmbench.schemacheck.compile_check` of the schema: a yes/no answer that lets a
    valid record skip ``jsonschema`` (which is asked only for the error of an invalid one)."""
    from mmbench.schemacheck import compile_check

    return compile_check(schema())


def validate(record: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` if ``record`` is not a valid results record."""
    if _fast_check()(record):
        return
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(record))
    if error is not None:
        raise error


def record_problem(record: dict[str, Any]) -> str | None:
    """Why ``record`` is not a valid results record (``at <path>: <message>``, at most ~200
    characters of message), or None; ``jsonschema`` is imported only for an invalid one.

    >>> record_problem({"schema_version": 1})
    "at (top): 'task' is a required property"
    """
    try:
        validate(record)
    except Exception as exc:
        import jsonschema

        if not isinstance(exc, jsonschema.ValidationError):
            raise
        where = "/".join(map(str, exc.absolute_path)) or "(top)"
        message = exc.message if len(exc.message) < 200 else exc.message[:200] + "..."
        return f"at {where}: {message}"
    return None


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def environment(device: str = "cpu") -> dict[str, Any]:
    """Python, torch, mmbench versions, git commit, platform and device."""
    torch_version = None
    if "torch" in sys.modules:
        torch_version = sys.modules["torch"].__version__
    return {
        "python": platform.python_version(),
        "torch": torch_version,
        "mmbench": __version__,
        "git_commit": _git_commit(),
        "platform": platform.platform(),
        "cpu": platform.processor() or platform.machine(),
        "device": device,
    }


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


def results_path(
    out_dir: str | Path, model_name: str, task: str, perturbation: str | None = None
) -> Path:
    """``results/<task>__<model>.json``; a perturbed run adds ``__<perturbation spec>``."""
    suffix = f"__{_safe(perturbation)}" if perturbation else ""
    return Path(out_dir) / "results" / f"{task}__{_safe(model_name)}{suffix}.json"


def load_results(path: str | Path) -> dict[str, Any]:
    """Read and validate one results file."""
    with open(path, encoding="utf-8") as fh:
        record = json.load(fh)
    validate(record)
    return record
