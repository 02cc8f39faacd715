"""Tasks as data: the top-level ``tasks/*.yaml`` loaded and validated into :class:`Task` records.

A task names its reader and the reader's arguments (paths relative to the data root), its
metrics, a normalizer and run defaults. Suites are YAML files listing tasks.

>>> task = load_task("easyvqa")
>>> task.kind.value, task.reader
('vqa', 'easy_vqa')
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from mmbench.registry import UnknownNameError
from mmbench.types import Sample, TaskKind

TASK_KEYS = {
    "name": "a short identifier, e.g. easyvqa",
    "version": "an integer, bumped whenever samples or scoring change",
    "kind": "one of " + ", ".join(k.value for k in TaskKind),
    "description": "one line for `mmbench ls tasks`",
    "prompt": "the instruction generative models get (a one-line string)",
    "reader": "a mapping {name: <reader>, args: {...}, splits: {<split>: {...arg overrides}}}",
    "metrics": "a list of metric names, or of {name: <metric>, ...options}",
    "normalizer": "a normalizer preset name",
    "defaults": "a mapping of run defaults: batch_size, max_new_tokens",
    "data": "a mapping {how_to_get: <text>, generator: <name of an embedded generator>, "
    "expected_samples: <count `mmbench data check` verifies>}",
    "citation": "a citation string",
}
REQUIRED_KEYS = ("name", "version", "kind", "reader", "metrics")
DEFAULT_KEYS = {"batch_size", "max_new_tokens", "workers"}
DATA_KEYS = {"how_to_get", "generator", "expected_samples"}


class TaskError(ValueError):
    """A task or suite file is invalid; the message names the file, the key and what is allowed."""


class DataMissingError(FileNotFoundError):
    """A dataset file is not where a task looks; the message says where and how to get it."""


class DataFormatError(ValueError):
    """A dataset file is malformed or of the wrong kind; the message names the file (and the
    line and column for malformed JSON), what it looks like and what was expected."""


def default_data_root() -> Path:
    """``$MMBENCH_DATA`` or ``~/.cache/mmbench/data``."""
    env = os.environ.get("MMBENCH_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mmbench" / "data"


@dataclass(frozen=True)
class MetricSpec:
    """A metric name plus its options from the task file, e.g. ``{name: x, rules: 2021}``."""

    name: str
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """A validated task definition. ``samples(data_root)`` streams its :class:`Sample` records."""

    name: str
    version: int
    kind: TaskKind
    reader: str
    reader_args: Mapping[str, Any]
    metrics: tuple[MetricSpec, ...]
    splits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    normalizer: str | None = None
    description: str = ""
    defaults: Mapping[str, Any] = field(default_factory=dict)
    how_to_get: str = ""
    generator: str | None = None
    expected_samples: int | None = None
    citation: str = ""
    prompt: str | None = None  # instruction for generative models; --model-arg prompt wins
    source: str = ""
    sha256: str = ""  # task_sha256 of the file: results record it, leaderboards compare it

    def make_reader(self, data_root: Path | None = None, split: str | None = None) -> Any:
        """Instantiate the reader for the evaluation data, or for another ``split`` of it.

        A split named in the task's ``reader.splits`` applies those argument overrides;
        any other split is passed to the reader as its ``split`` argument. An embedded
        dataset's generator is asked for the split first (it builds it on first use).
        """
        from mmbench.registry import GENERATORS, READERS

        args = dict(self.reader_args)
        if split is not None:
            args.update(self.splits.get(split, {"split": split}))
        root = Path(data_root) if data_root is not None else default_data_root()
        if self.generator is not None:
            GENERATORS.get(self.generator)(root, split)
        return READERS.get(self.reader)(data_root=root, task=self, **args)

    def samples(self, data_root: Path | None = None, split: str | None = None) -> Iterator[Sample]:
        """Stream the task's samples (media not decoded); ``split`` as in :meth:`make_reader`."""
        return iter(self.make_reader(data_root, split))

    def with_reader_args(self, **overrides: Any) -> Task:
        return replace(self, reader_args={**self.reader_args, **overrides})


def _fail(source: str, key: str, problem: str) -> TaskError:
    allowed = TASK_KEYS.get(key.split(".")[0], "")
    hint = f" (expected {allowed})" if allowed else ""
    return TaskError(f"{source}: key {key!r}: {problem}{hint}")


def parse_task(data: Any, source: str) -> Task:
    """Validate a task mapping loaded from ``source`` (used in messages)."""
    from mmbench.registry import GENERATORS, METRICS, NORMALIZERS, READERS

    if not isinstance(data, dict):
        raise TaskError(f"{source}: a task file must be a mapping, got {type(data).__name__}")
    unknown = set(data) - set(TASK_KEYS)
    if unknown:
        key = sorted(unknown)[0]
        raise TaskError(f"{source}: unknown key {key!r}; allowed keys: {', '.join(TASK_KEYS)}")
    for key in REQUIRED_KEYS:
        if key not in data:
            raise _fail(source, key, "missing")
    if not isinstance(data["name"], str) or not data["name"]:
        raise _fail(source, "name", "must be a non-empty string")
    if not isinstance(data["version"], int) or isinstance(data["version"], bool):
        raise _fail(source, "version", f"must be an integer, got {data['version']!r}")
    try:
        kind = TaskKind(data["kind"])
    except ValueError:
        raise _fail(source, "kind", f"{data['kind']!r} is not allowed") from None
    reader = data["reader"]
    if not isinstance(reader, dict) or "name" not in reader:
        raise _fail(source, "reader", "must be a mapping with a name")
    if set(reader) - {"name", "args", "splits"}:
        raise _fail(
            source, "reader", f"unknown entries {sorted(set(reader) - {'name', 'args', 'splits'})}"
        )
    splits = reader.get("splits", {}) or {}
    if not isinstance(splits, dict) or not all(isinstance(v, dict) for v in splits.values()):
        raise _fail(source, "reader.splits", "must map split names to argument mappings")
    if reader["name"] not in READERS:
        raise _fail(
            source, "reader.name", str(UnknownNameError("reader", reader["name"], READERS.names()))
        )
    reader_args = reader.get("args", {}) or {}
    if not isinstance(reader_args, dict):
        raise _fail(source, "reader.args", "must be a mapping")
    metrics = []
    if not isinstance(data["metrics"], list) or not data["metrics"]:
        raise _fail(source, "metrics", "must be a non-empty list")
    for i, entry in enumerate(data["metrics"]):
        spec = {"name": entry} if isinstance(entry, str) else entry
        if not isinstance(spec, dict) or "name" not in spec:
            raise _fail(source, f"metrics[{i}]", "must be a name or a mapping with a name")
        if spec["name"] not in METRICS:
            raise _fail(
                source,
                f"metrics[{i}]",
                str(UnknownNameError("metric", spec["name"], METRICS.names())),
            )
        opts = {k: v for k, v in spec.items() if k != "name"}
        metrics.append(MetricSpec(spec["name"], opts))
    normalizer = data.get("normalizer")
    if normalizer is not None and normalizer not in NORMALIZERS:
        raise _fail(
            source,
            "normalizer",
            str(UnknownNameError("normalizer", normalizer, NORMALIZERS.names())),
        )
    defaults = data.get("defaults", {}) or {}
    if not isinstance(defaults, dict) or set(defaults) - DEFAULT_KEYS:
        bad = sorted(set(defaults) - DEFAULT_KEYS) if isinstance(defaults, dict) else defaults
        raise _fail(source, "defaults", f"unknown entries {bad}; allowed: {sorted(DEFAULT_KEYS)}")
    data_info = data.get("data", {}) or {}
    if not isinstance(data_info, dict) or set(data_info) - DATA_KEYS:
        raise _fail(source, "data", f"must be a mapping with keys among {sorted(DATA_KEYS)}")
    expected = data_info.get("expected_samples")
    if expected is not None and (not isinstance(expected, int) or isinstance(expected, bool)):
        raise _fail(source, "data.expected_samples", f"must be an integer, got {expected!r}")
    prompt = data.get("prompt")
    if prompt is not None and (not isinstance(prompt, str) or not prompt.strip()):
        raise _fail(source, "prompt", f"must be a non-empty string, got {prompt!r}")
    gen = data_info.get("generator")
    if gen is not None and gen not in GENERATORS:
        raise _fail(
            source, "data.generator", str(UnknownNameError("generator", gen, GENERATORS.names()))
        )
    return Task(
        name=data["name"],
        version=data["version"],
        kind=kind,
        reader=reader["name"],
        reader_args=reader_args,
        metrics=tuple(metrics),
        splits=splits,
        normalizer=normalizer,
        description=str(data.get("description", "")),
        defaults=defaults,
        how_to_get=str(data_info.get("how_to_get", "")),
        generator=data_info.get("generator"),
        expected_samples=expected,
        citation=str(data.get("citation", "")),
        prompt=prompt,
        source=source,
    )


def tasks_root() -> Any:
    """The folder of shipped task files: the repository's top-level ``tasks/`` in a source
    checkout (editable installs included), ``mmbench/_tasks`` inside an installed wheel (the
    build copies it there, see ``setup.py``).

    >>> sorted(p.name for p in tasks_root().iterdir() if p.name.startswith("easyvqa"))
    ['easyvqa.yaml']
    """
    packaged = resources.files("mmbench") / "_tasks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "tasks"


def _task_files() -> dict[str, Any]:
    """``{stem: Traversable}`` for the shipped YAML files (:func:`tasks_root`)."""
    root = tasks_root()
    return {p.name[: -len(".yaml")]: p for p in root.iterdir() if p.name.endswith(".yaml")}


def load_yaml(path: Any, source: str) -> Any:
    """Parse YAML safely; errors name the file, line and column."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise TaskError(f"{source}{where}: invalid YAML: {exc}") from None


def task_sha256(path: Any) -> str:
    """Hex sha256 of a task file's bytes (a path or an importlib Traversable), its top-level
    ``prompt:`` entry left out (that line and any indented lines continuing it).

    The prompt is what generative models are asked; each model's results record the prompt it
    used, and it changes neither the samples nor the scoring. So results under other prompts
    stay comparable, and a file that gains a prompt keeps the hash it had without one.

    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "a.yaml").write_text("name: a\\nkind: vqa\\n")
    >>> _ = (folder / "b.yaml").write_text('name: a\\nprompt: "Answer."\\nkind: vqa\\n')
    >>> task_sha256(folder / "a.yaml") == task_sha256(folder / "b.yaml")
    True
    """
    kept: list[bytes] = []
    in_prompt = False
    for line in path.read_bytes().splitlines(keepends=True):
        if line.startswith(b"prompt:"):
            in_prompt = True
        elif not (in_prompt and line[:1] in (b" ", b"\t")):
            in_prompt = False
            kept.append(line)
    return hashlib.sha256(b"".join(kept)).hexdigest()


def _is_suite(data: Any) -> bool:
    return isinstance(data, dict) and "suite" in data


def _load_all() -> tuple[dict[str, Task], dict[str, list[str]]]:
    tasks: dict[str, Task] = {}
    suites: dict[str, list[str]] = {}
    for stem, path in sorted(_task_files().items()):
        source = f"tasks/{path.name}"
        data = load_yaml(path, source)
        if _is_suite(data):
            suites[data["suite"]] = list(data.get("tasks", []))
        else:
            task = replace(parse_task(data, source), sha256=task_sha256(path))
            if task.name != stem:
                raise _fail(source, "name", f"{task.name!r} must match the file name {stem!r}")
            tasks[task.name] = task
    return tasks, suites


_CACHE: tuple[dict[str, Task], dict[str, list[str]]] | None = None


def _catalog() -> tuple[dict[str, Task], dict[str, list[str]]]:
    global _CACHE
    if _CACHE is None:
        _CACHE = _load_all()
    return _CACHE


def list_tasks() -> list[str]:
    """Names of the shipped tasks."""
    return sorted(_catalog()[0])


def list_suites() -> dict[str, list[str]]:
    """Suite name -> task names."""
    return dict(_catalog()[1])


def load_task(name_or_path: str | Path) -> Task:
    """A shipped task by name, or a task YAML file by path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        task = parse_task(load_yaml(path, str(path)), str(path))
        return replace(task, sha256=task_sha256(path))
    tasks = _catalog()[0]
    if str(name_or_path) not in tasks:
        raise UnknownNameError("task", str(name_or_path), tasks)
    return tasks[str(name_or_path)]


def load_suite(name: str) -> list[Task]:
    """The tasks of a shipped suite; every listed task must exist."""
    suites = _catalog()[1]
    if name not in suites:
        raise UnknownNameError("suite", name, suites)
    return [load_task(t) for t in suites[name]]
