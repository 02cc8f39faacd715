"""Scale out on PyTorch's own engine: ``torchrun`` ranks and ``--shard i/N`` jobs.

Samples are sharded deterministically: sample ``k`` of a task (in reader order, after
``--limit``) belongs to shard ``k mod N``. Under ``torchrun`` shard ``i`` is rank ``i``;
with ``mmbench run --shard i/N`` it is an independent job, and ``mmbench merge`` scores the
shards once they are all done. Each shard appends to its own prediction-store file
(``<model>-<fingerprint>[~<perturbation key>].part-i-of-N.jsonl``), and every store reads
all its sibling files (the same model fingerprint, task version and perturbation),
so a rerun with any number of processes predicts only the samples still missing.

Under ``torchrun`` rank 0 broadcasts the output folder and start time, every rank checks
it built the same model fingerprint, and rank 0 gathers every rank's predictions (object
collectives on gloo; NCCL is there for tensor collectives on GPUs) and scores them once
through the runner's normal scoring path, so scores are identical at any world size.

>>> shard = Shard.parse("1/3")
>>> shard.select(list("abcdefg")), shard.part
(['b', 'e'], 'part-1-of-3')
>>> Ranks().world_size, Ranks().is_main
(1, True)
"""

from __future__ import annotations

import atexit
import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from mmbench.atomic import write_json_atomic, write_text_atomic
from mmbench.results import now_iso
from mmbench.store import PredictionStore, prediction_record, record_prediction

T = TypeVar("T")

#: How long a rank waits in a collective (rank 0 waits in the final gather for the slowest
#: rank, which after an uneven resume may have most of a large task left).
COLLECTIVE_TIMEOUT = timedelta(hours=24)

#: How the record describes the shard layout.
LAYOUT = "strided: sample k of the task (reader order, after --limit) goes to shard k mod N"


class ShardError(ValueError):
    """A bad ``--shard`` value, or ``--shard`` combined with ``torchrun``."""


class MergeError(ValueError):
    """Shards that cannot be merged: missing samples or shards, mismatched fingerprints,
    task versions or shard counts (the message names them)."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``: every ``count``-th sample starting at ``index``."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1 or not 0 <= self.index < self.count:
            raise ShardError(f"--shard {self.index}/{self.count}: need 0 <= i < N and N >= 1")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/N"`` (as given to ``--shard``) to a :class:`Shard`.

        >>> Shard.parse("0/2")
        Shard(index=0, count=2)
        """
        index, sep, count = text.partition("/")
        if not sep or not index.strip().isdigit() or not count.strip().isdigit():
            raise ShardError(f"--shard {text!r}: expected i/N, for example 0/4")
        return cls(int(index), int(count))

    def select(self, items: Sequence[T]) -> list[T]:
        """The items of this shard (all of them when ``count`` is 1)."""
        return list(items[self.index :: self.count])

    @property
    def part(self) -> str:
        """Suffix of this shard's prediction-store file (an unsharded run has none)."""
        return f"part-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


@dataclass(frozen=True)
class Ranks:
    """This process's place among ``torchrun`` workers (world size 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def shard(self) -> Shard:
        return Shard(self.rank, self.world_size)

    def device(self, device: str) -> str:
        """``cuda`` means ``cuda:LOCAL_RANK`` under torchrun; anything else is kept.

        >>> Ranks(3, 4, 1, "gloo").device("cuda"), Ranks(3, 4, 1, "gloo").device("cpu")
        ('cuda:1', 'cpu')
        """
        return f"cuda:{self.local_rank}" if self.distributed and device == "cuda" else device

    # --- object collectives (identity without torchrun) ------------------------------
    def broadcast(self, obj: T) -> T:
        """Rank 0's ``obj`` on every rank."""
        if not self.distributed:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def gather(self, obj: T) -> list[T] | None:
        """Every rank's ``obj`` on rank 0 (in rank order), ``None`` elsewhere."""
        if not self.distributed:
            return [obj]
        import torch.distributed as dist

        out: list[Any] | None = [None] * self.world_size if self.is_main else None
        dist.gather_object(obj, out, dst=0)
        return out

    def all_gather(self, obj: T) -> list[T]:
        """Every rank's ``obj`` on every rank (in rank order)."""
        if not self.distributed:
            return [obj]
        import torch.distributed as dist

        out: list[Any] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def agree(self, value: str, what: str) -> None:
        """Raise on every rank unless all ranks hold the same ``value`` (say a fingerprint)."""
        values = self.all_gather(value)
        if len(set(values)) > 1:
            listed = ", ".join(f"rank {r}: {v}" for r, v in enumerate(values))
            raise ShardError(f"ranks disagree on the {what} ({listed}); all must run the same")

    def counter(self, key: str) -> Counter:
        """A global count shared by all ranks (for rank 0's progress bar)."""
        return Counter(self, key)


class Counter:
    """A count summed over ranks in torchrun's rendezvous key-value store (a ``TCPStore``).

    Each rank adds what it has done; rank 0 reads the total after each of its batches, so
    its progress bar shows the global count. Without torchrun it is a plain counter.
    """

    def __init__(self, ranks: Ranks, key: str) -> None:
        self.key = f"mmbench/{key}"
        self.total = 0
        self._store = None
        if ranks.distributed:
            from torch.distributed import distributed_c10d

            self._store = distributed_c10d._get_default_store()  # the rendezvous store

    def add(self, n: int) -> int:
        """Add ``n``; returns the total over all ranks so far."""
        if self._store is None:
            self.total += n
        else:
            self.total = int(self._store.add(self.key, int(n)))
        return self.total


_RANKS: Ranks | None = None


def backend_for(device: str) -> str:
    """gloo on CPU; on CUDA NCCL for tensors and gloo for the object collectives.

    >>> backend_for("cpu"), backend_for("cuda")
    ('gloo', 'cpu:gloo,cuda:nccl')
    """
    return "cpu:gloo,cuda:nccl" if str(device).startswith("cuda") else "gloo"


def ranks(device: str = "cpu") -> Ranks:
    """This process's :class:`Ranks`, joining the process group on first use under torchrun.

    torchrun sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous variables;
    without them (or with ``WORLD_SIZE=1``) this is a single process.
    """
    global _RANKS
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Ranks()
    if _RANKS is not None:
        return _RANKS
    import torch
    import torch.distributed as dist

    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    backend = backend_for(device)
    if not dist.is_initialized():
        if backend != "gloo":
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend, timeout=COLLECTIVE_TIMEOUT)
        atexit.register(_leave)
    _RANKS = Ranks(rank, world, local, backend)
    return _RANKS


def _leave() -> None:
    import torch.distributed as dist

    if dist.is_initialized():
        dist.destroy_process_group()


def shard_for(ranks_: Ranks, shard: str | None) -> Shard:
    """The shard this process predicts: its rank under torchrun, else ``--shard i/N``."""
    if shard is None:
        return ranks_.shard
    if ranks_.distributed:
        raise ShardError(
            "--shard is for independent jobs; under torchrun every rank is already a shard"
        )
    return Shard.parse(shard)


@dataclass
class ShardReport:
    """What one shard did: its sample count, what it predicted now, its profile; under
    torchrun also its predictions (rank 0 gathers them)."""

    shard: str
    samples: int
    predicted: int
    predictions_file: str
    profile: dict[str, Any]
    latencies: list[float]
    predictions: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @classmethod
    def of(
        cls,
        shard: Shard,
        mine: Sequence[Any],
        predicted: int,
        store: PredictionStore,
        profiler: Any,
        model: Any,
    ) -> ShardReport:
        """The report of a shard whose samples ``mine`` are all in ``store`` now."""
        preds = [
            prediction_record(store.predictions.get(s.id) or store.errors[s.id])
            for s in mine
            if s.id in store.predictions or s.id in store.errors
        ]
        return cls(
            shard=str(shard),
            samples=len(mine),
            predicted=predicted,
            predictions_file=str(store.path),
            profile=profiler.summary(model),
            latencies=[b.latency_s for b in profiler.batches if b.measured],
            predictions=preds,
        )

    def entry(self) -> dict[str, Any]:
        """The shard's line in a record's ``distributed.shards`` (no predictions)."""
        return {
            "shard": self.shard,
            "samples": self.samples,
            "predicted": self.predicted,
            "predictions_file": self.predictions_file,
        }


def absorb(store: PredictionStore, reports: Sequence[ShardReport]) -> None:
    """Add other ranks' gathered predictions to rank 0's ``store`` (in memory). A rank whose
    store file is not visible here (out folder not shared between nodes) gets a copy of it
    written, so rank 0's out folder always holds every prediction."""
    for report in reports:
        for rec in report.predictions:
            store.note(record_prediction(rec))
        path = Path(report.predictions_file)
        if not path.exists():
            lines = [{"header": store.header}, *report.predictions]
            text = "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines)
            write_text_atomic(path, text)


def layout(ranks_: Ranks, reports: Sequence[ShardReport], launcher: str | None = None) -> dict:
    """The record's ``distributed`` object: world size, launcher, backend, shard layout."""
    return {
        "world_size": len(reports),
        "launcher": launcher or ("torchrun" if ranks_.distributed else None),
        "backend": ranks_.backend,
        "layout": LAYOUT,
        "shards": [r.entry() for r in reports],
    }


def _meta_path(report: ShardReport) -> Path:
    return Path(report.predictions_file).with_suffix(".json")


def write_shard(
    task: Any,
    model_rec: dict[str, Any],
    data_root: Path | None,
    limit: int | None,
    report: ShardReport,
    started_at: str,
    t0: float,
    perturbation: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], Path]:
    """Record a finished ``--shard`` job next to its predictions (``.part-i-of-N.json``)
    for ``mmbench merge``; returns the record and its path. ``perturbation``: the run's
    ``Pipeline.to_json()`` (``None`` for clean predictions)."""
    index, count = (int(x) for x in report.shard.split("/"))
    meta = {
        "shard": {"index": index, "count": count} | asdict(report),
        "task": {
            "name": task.name,
            "version": task.version,
            "source": task.source,
            "limit": limit,
            "sha256": getattr(task, "sha256", "") or None,
        },
        "model": model_rec,
        "data_root": str(data_root) if data_root is not None else None,
        "perturbation": perturbation,
        "started_at": started_at,
        "finished_at": now_iso(),
        "wall_time_s": time.perf_counter() - t0,
    }
    del meta["shard"]["predictions"]  # they are in the store file
    return meta, write_json_atomic(_meta_path(report), meta)


def _shard_records(
    out_dir: Path,
) -> dict[tuple[str, str, str | None], list[tuple[Path, dict[str, Any]]]]:
    """Shard records under ``out_dir/predictions``, grouped by (task name, model name,
    perturbation key): clean and perturbed shards are merged apart."""
    groups: dict[tuple[str, str, str | None], list[tuple[Path, dict[str, Any]]]] = {}
    for path in sorted((out_dir / "predictions").glob("*/*.part-*-of-*.json")):
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
            perturbation = meta.get("perturbation")
            variant = perturbation["key"] if perturbation else None
            key = (meta["task"]["name"], meta["model"]["name"], variant)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MergeError(f"{path}: not a readable shard record ({exc})") from None
        groups.setdefault(key, []).append((path, meta))
    return groups


def _check_same(group: list[tuple[Path, dict[str, Any]]], what: str, get: Any) -> Any:
    values = {json.dumps(get(meta)) for _, meta in group}
    if len(values) > 1:
        listed = "; ".join(f"{path.name}: {get(meta)}" for path, meta in group)
        raise MergeError(f"shards disagree on the {what}: {listed}")
    return get(group[0][1])


def _load_task(meta: dict[str, Any]) -> Any:
    from mmbench.tasks import load_task

    source = meta["task"]["source"]  # a user's task file by its path, a shipped one by name
    own_file = Path(source).is_file() and not source.startswith("tasks/")
    task = load_task(source if own_file else meta["task"]["name"])
    if task.version != meta["task"]["version"]:
        raise MergeError(
            f"task {task.name}: the shards ran version {meta['task']['version']}, "
            f"the task file ({task.source}) is now version {task.version}"
        )
    return task


def merge(out_dir: str | Path, data_root: Path | None = None, n_resamples: int = 1000) -> list:
    """Score every (task, model) whose ``--shard i/N`` jobs wrote to ``out_dir``: check
    the shards belong together and cover every sample, then score once through the
    runner's normal path; returns the runner's ``RunResult`` of each."""
    from mmbench.runner import Predicted, RunConfig, finish_task, read_samples

    out_dir = Path(out_dir)
    groups = _shard_records(out_dir)
    if not groups:
        raise MergeError(
            f"{out_dir}: no shard records (predictions/<task>/<model>.part-i-of-N.json); "
            f"run `mmbench run --shard i/N --out {out_dir} ...` first"
        )
    results = []
    for (task_name, model_name, _), group in groups.items():
        perturbation = group[0][1].get("perturbation")
        where = f"task {task_name}, model {model_name}" + (
            f", perturbation {perturbation['spec']}" if perturbation else ""
        )
        fp = _check_same(group, f"model fingerprint ({where})", lambda m: m["model"]["fingerprint"])
        _check_same(group, f"task version ({where})", lambda m: m["task"]["version"])
        _check_same(group, f"task file sha256 ({where})", lambda m: m["task"].get("sha256"))
        count = _check_same(group, f"shard count N ({where})", lambda m: m["shard"]["count"])
        limit = _check_same(group, f"--limit ({where})", lambda m: m["task"]["limit"])
        metas = sorted((meta for _, meta in group), key=lambda m: m["shard"]["index"])
        absent = sorted(set(range(count)) - {m["shard"]["index"] for m in metas})
        if absent:
            names = ", ".join(f"{i}/{count}" for i in absent)
            raise MergeError(f"{where}: no record of shard(s) {names} (not run or not finished)")
        task = _load_task(metas[0])
        root = data_root or (Path(metas[0]["data_root"]) if metas[0]["data_root"] else None)
        reader = task.make_reader(root)
        samples = read_samples(reader, limit)
        store = PredictionStore.open(
            out_dir, model_name, fp, task.name, task.version, perturbation=perturbation
        )
        missing = [
            (k, s.id)
            for k, s in enumerate(samples)
            if s.id not in store.predictions and s.id not in store.errors
        ]
        if missing:
            owners = sorted({k % count for k, _ in missing})
            shown = ", ".join(sid for _, sid in missing[:5]) + (", ..." if len(missing) > 5 else "")
            raise MergeError(
                f"{where}: {len(missing)} of {len(samples)} samples have no prediction "
                f"({shown}), from shard(s) {', '.join(f'{i}/{count}' for i in owners)}; "
                "rerun those shards (they resume) before merging"
            )
        reports = [
            ShardReport(
                m["shard"]["shard"],
                m["shard"]["samples"],
                m["shard"]["predicted"],
                m["shard"]["predictions_file"],
                m["shard"]["profile"],
                m["shard"]["latencies"],
            )
            for m in metas
        ]
        cfg = RunConfig(out_dir=out_dir, data_root=root, limit=limit, n_resamples=n_resamples)
        done = Predicted(
            task,
            samples,
            store,
            reader,
            metas[0]["model"],
            started_at=min(m["started_at"] for m in metas),
            t0=time.perf_counter() - max(m["wall_time_s"] for m in metas),  # the slowest shard
            perturbation=perturbation,
        )
        layout_ = layout(Ranks(), reports, launcher="shards")
        results.append(finish_task(done, cfg, out_dir, reports, layout_))
    return results
