"""The evaluation loop: stream samples in batches, predict, store as it comes, then score.

Media are decoded in ``torch.utils.data.DataLoader`` workers, and only the modalities the
model consumes. A batch whose ``predict`` raises is retried sample by sample, so one bad
sample becomes a recorded error (``fail_fast`` stops instead). Samples already in the
prediction store are skipped, so a rerun after a crash resumes.

>>> import tempfile
>>> from mmbench.tasks import load_task
>>> cfg = RunConfig(out_dir=tempfile.mkdtemp(), limit=8, progress=False)
>>> r = run_task("constant:yes", load_task("easyvqa"), cfg)
>>> r.record["n_samples"]
8
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mmbench import distributed
from mmbench.adapters.base import (
    ModelContext,
    ModelError,
    build_model,
    fingerprint,
    model_info,
    recorded_args,
    required_modalities,
)
from mmbench.atomic import write_json_atomic
from mmbench.metrics.base import MetricResult, get_metric
from mmbench.metrics.bootstrap import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    confidence_intervals_with_draws,
)
from mmbench.perturb import Pipeline
from mmbench.profiling import DEFAULT_WARMUP, Profiler
from mmbench.profiling.ranks import combine as combine_profiles
from mmbench.profiling.threads import thread_policy, torch_threads
from mmbench.results import environment, now_iso, results_path, validate
from mmbench.samplelog import MetricLog, Resamples, write_sample_log_for
from mmbench.store import PredictionStore
from mmbench.tasks import MetricSpec, Task
from mmbench.types import AUDIO_SAMPLE_RATE, MediaError, Modality, Prediction, Sample

WORKER_TIMEOUT_S = 600


class RunAborted(RuntimeError):
    """``--fail-fast`` stopped the run at the first sample error; predictions so far are kept."""


@dataclass
class RunConfig:
    """Options of one ``mmbench run`` (CLI flags map one to one)."""

    out_dir: str | Path = "mmbench-out"
    data_root: Path | None = None
    batch_size: int | None = None
    limit: int | None = None
    device: str = "cpu"
    workers: int | None = None
    threads: int | None = None  # torch intra-op threads; None: the thread policy's choice
    fail_fast: bool = False
    progress: bool = True
    n_resamples: int = DEFAULT_RESAMPLES
    warmup: int = DEFAULT_WARMUP
    flops: bool = True
    perturb: tuple[str, ...] = ()  # --perturb specs, applied in order (mmbench.perturb)
    model_args: Mapping[str, str] = field(default_factory=dict)  # --model-arg KEY=VALUE
    shard: str | None = None  # "i/N": predict one shard as an independent job (mmbench merge)


@dataclass
class RunResult:
    """What a run produced: the results record and where it was written."""

    record: dict[str, Any]
    path: Path
    scores: list[MetricResult] = field(default_factory=list)


class _Decode:
    """Map-style dataset: decodes the media the model consumes, then applies the
    perturbation pipeline (if any); errors come back as values."""

    def __init__(
        self, samples: Sequence[Sample], modalities: set[Modality], pipeline: Pipeline | None = None
    ) -> None:
        self.samples = samples
        self.modalities = modalities
        self.pipeline = pipeline or Pipeline()

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> Sample | MediaError:
        try:
            return self.pipeline.decode(self.samples[i], self.modalities)
        except MediaError as exc:
            return exc


def _collate(items: list[Any]) -> list[Any]:
    return items


def _batches(
    dataset: _Decode, batch_size: int, workers: int
):  # -> Iterator[list[Sample|MediaError]]
    if workers == 0 or len(dataset) <= batch_size:
        for start in range(0, len(dataset), batch_size):
            yield [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        return
    from torch.utils.data import DataLoader

    yield from DataLoader(
        dataset,
        batch_size=batch_size,
        num_workers=workers,
        collate_fn=_collate,
        shuffle=False,
        timeout=WORKER_TIMEOUT_S,  # a wedged worker becomes an error, never a silent hang
    )


def predict_batch_strict(model: Any, batch: Sequence[Sample]) -> list[Prediction]:
    """One ``model.predict`` on ``batch``; raises what it raises."""
    return _predictions(model, batch, model.predict(batch))


def predict_batch(model: Any, batch: Sequence[Sample], fail_fast: bool) -> list[Prediction]:
    """Call the model on a batch; on an exception retry one by one (unless ``fail_fast``)."""
    try:
        outputs = model.predict(batch)
    except Exception as exc:
        if fail_fast:
            raise RunAborted(
                f"model {model.name!r} raised on a batch of {len(batch)}: {exc!r}"
            ) from exc
        if len(batch) == 1:
            return [Prediction(batch[0].id, None, f"model error: {type(exc).__name__}: {exc}")]
        return [p for s in batch for p in predict_batch(model, [s], fail_fast)]
    return _predictions(model, batch, outputs)


def _predictions(model: Any, batch: Sequence[Sample], outputs: Any) -> list[Prediction]:
    """``outputs`` as Predictions; a wrong count or type breaks the contract."""
    if not isinstance(outputs, (list, tuple)) or len(outputs) != len(batch):
        n = len(outputs) if hasattr(outputs, "__len__") else type(outputs).__name__
        raise ModelError(
            f"model {model.name!r} returned {n} outputs for a batch of {len(batch)} samples; "
            "predict() must return one string per sample, in order"
        )
    return [Prediction(s.id, str(o)) for s, o in zip(batch, outputs, strict=True)]


def _progress(enabled: bool, label: str, total: int):
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    class _Rate(TextColumn):
        def render(self, task):  # samples/s from rich's own speed estimate
            from rich.text import Text

            return Text(f"{task.speed:.1f} samples/s" if task.speed else "")

    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(""),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=False,
    )


def audio_seconds(batch: Sequence[Sample]) -> float:
    """Seconds of decoded audio in a batch (what RTFx divides)."""
    return sum(len(s.audio) for s in batch if s.audio is not None) / AUDIO_SAMPLE_RATE


def _profiled_predict(
    profiler: Profiler, model: Any, batch: list[Sample], fail_fast: bool, flops: bool
) -> list[Prediction]:
    """One timed model call (FLOPs counted on the first batch, see ``Profiler.timed_call``:
    on the bare ``predict``, so a model failing under the counter is not hidden by the
    one-by-one retry of :func:`predict_batch`)."""
    call = lambda: predict_batch(model, batch, fail_fast)  # noqa: E731
    bare = lambda: predict_batch_strict(model, batch)  # noqa: E731
    preds, rec = profiler.timed_call(
        model, call, len(batch), audio_seconds(batch), flops, count_call=bare
    )
    rec.count_outputs([p.text for p in preds])
    return preds


def task_metric_options(task: Task, spec: MetricSpec) -> dict[str, Any]:
    """The metric's options from the task file; the task-level ``normalizer`` is the default
    of every metric that takes a ``normalizer`` option (its own option wins)."""
    import inspect

    from mmbench.registry import METRICS

    options = dict(spec.options)
    accepts = inspect.signature(METRICS.get(spec.name)).parameters
    if task.normalizer is not None and "normalizer" in accepts:
        options.setdefault("normalizer", task.normalizer)
    return options


def score_task(
    task: Task,
    samples: Sequence[Sample],
    store: PredictionStore,
    n_resamples: int,
    keep: list[MetricLog] | None = None,
) -> list[MetricResult]:
    """Score every sample; a sample without a prediction (an error) is scored as ``""``.
    ``keep`` collects each metric's per-sample statistics (for the sample log)."""
    if not samples or all(not s.references for s in samples):
        return []
    preds = [store.predictions[s.id].text if s.id in store.predictions else "" for s in samples]
    refs = [list(s.references) for s in samples]
    out: list[MetricResult] = []
    for spec in task.metrics:
        options = task_metric_options(task, spec)
        metric = get_metric(spec.name, **options)
        stats = metric.stats(preds, refs)
        values = metric.score(stats)
        cis, draws = (
            confidence_intervals_with_draws(metric, stats, n_resamples, DEFAULT_SEED)
            if n_resamples
            else ({}, {})
        )
        sig = metric.signature()
        extra = metric.extras(stats)
        if keep is not None:  # the resamples too: a leaderboard's paired tests reuse them
            resampled = Resamples(DEFAULT_SEED, draws) if draws else None
            keep.append(MetricLog.of(spec.name, options, metric, stats, resampled))
        for i, (key, value) in enumerate(values.items()):
            out.append(MetricResult(key, float(value), sig, cis.get(key), extra if i == 0 else {}))
    return out


def read_samples(reader: Any, limit: int | None) -> list[Sample]:
    """The first ``limit`` samples of a reader (all of them without a limit)."""
    samples: list[Sample] = []
    for s in reader:
        if limit is not None and len(samples) >= limit:
            break
        samples.append(s)
    return samples


def model_record(
    model: Any, model_spec: str, fp: str, model_args: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The ``model`` object of a results record (``model_args``: the ``--model-arg`` options)."""
    info = model_info(model)
    parameters = info.get("parameters")
    return {
        "name": model.name,
        "spec": model_spec,
        "fingerprint": fp,
        "parameters": int(parameters) if isinstance(parameters, (int, float)) else None,
        "checkpoint_sha256": info.get("checkpoint_sha256"),
        "info": info,
        "args": recorded_args(model_spec, model_args or {}),
    }


def _predict_pending(
    model: Any,
    dataset: _Decode,
    cfg: RunConfig,
    batch_size: int,
    workers: int,
    store: PredictionStore,
    profiler: Profiler,
    progress: Any,
    blocked: Sequence[str] = (),
) -> None:
    """Predict the pending samples of ``dataset`` (decoded and perturbed by its pipeline)
    batch by batch, appending to ``store`` as it comes; ``blocked``: modalities the model
    requires that the pipeline removes (each sample is then an error, not a model call)."""
    batches = iter(_batches(dataset, batch_size, workers))
    while True:
        with profiler.phase("load"):
            batch = next(batches, None)
        if batch is None:
            break
        good = [s for s in batch if isinstance(s, Sample)]
        failed = [
            Prediction(e.sample_id, None, f"media error: {e}")
            for e in batch
            if isinstance(e, MediaError)
        ]
        if failed and cfg.fail_fast:
            store.append(failed)
            raise RunAborted(failed[0].error)
        preds: list[Prediction] = []
        if good and blocked:  # the model declared a modality required that is missing
            why = f"missing modality: {model.name!r} requires {', '.join(blocked)}"
            preds = [Prediction(s.id, None, f"{why} ({dataset.pipeline.spec})") for s in good]
            if cfg.fail_fast:
                raise RunAborted(preds[0].error)
        elif good:
            preds = _profiled_predict(profiler, model, good, cfg.fail_fast, cfg.flops)
        with profiler.phase("store"):
            store.append(failed + preds)
        progress(len(batch))


def run_task(
    model_spec: str,
    task: Task,
    cfg: RunConfig,
    model: Any = None,
) -> RunResult:
    """Evaluate one model on one task; returns the (already written) results record.

    Under ``torchrun`` every rank predicts its shard and rank 0 scores all of them (every
    rank returns rank 0's result); with ``cfg.shard`` one shard is predicted and recorded
    for ``mmbench merge`` (see :mod:`mmbench.distributed`).
    """
    ranks = distributed.ranks(cfg.device)
    shard = distributed.shard_for(ranks, cfg.shard)
    device = ranks.device(cfg.device)
    started_at, t0 = ranks.broadcast(now_iso()), time.perf_counter()
    out_dir = Path(ranks.broadcast(str(cfg.out_dir)))  # one output folder for all ranks
    profiler = Profiler(warmup=cfg.warmup, device=device)
    if model is None:
        ctx = ModelContext(task, cfg.data_root, device, model_args=cfg.model_args)
        model = build_model(model_spec, ctx)
    if hasattr(model, "to") and device != "cpu":
        model.to(device)
    fp = fingerprint(model, model_spec, cfg.model_args)
    ranks.agree(fp, "model fingerprint")
    pipeline = Pipeline.parse(cfg.perturb)
    perturbation = pipeline.to_json() if pipeline else None
    part = shard.part if cfg.shard is not None or ranks.distributed else None
    store = PredictionStore.open(
        out_dir, model.name, fp, task.name, task.version, part, perturbation=perturbation
    )
    blocked = sorted(m.value for m in pipeline.removed & required_modalities(model))

    with profiler.phase("read"):
        reader = task.make_reader(cfg.data_root)
        samples = read_samples(reader, cfg.limit)
    mine = shard.select(samples)
    done = store.done_ids()
    pending = [s for s in mine if s.id not in done]
    batch_size = cfg.batch_size or int(task.defaults.get("batch_size", 16))
    modalities = set(getattr(model, "modalities", ()))
    dataset = _Decode(pending, modalities, pipeline)
    decodes = bool(modalities & {Modality.IMAGE, Modality.AUDIO})  # else workers: only start-up
    max_workers = int(task.defaults.get("workers", 2))
    profiler.threads = thread_policy(decodes, max_workers, cfg.threads, cfg.workers)
    workers = profiler.threads.workers
    profiler.plan(-(-len(pending) // batch_size))

    counter = ranks.counter(f"{task.name}@v{task.version}/{fp}/{started_at}")
    label = f"{model.name} · {task.name}" + (f" · shard {shard}" if cfg.shard else "")
    total = len(samples) if ranks.distributed else len(mine)
    progress = _progress(cfg.progress and ranks.is_main, label, total)
    with torch_threads(profiler.threads.threads), progress as bar:
        resumed = counter.add(len(mine) - len(pending))
        bar_id = bar.add_task("predict", total=total, completed=resumed)
        advance = lambda n: bar.update(bar_id, completed=counter.add(n))  # noqa: E731
        _predict_pending(
            model, dataset, cfg, batch_size, workers, store, profiler, advance, blocked
        )
    profiler.close()

    with torch_threads(profiler.threads.threads):  # so the profile reports the run's threads
        report = distributed.ShardReport.of(shard, mine, len(pending), store, profiler, model)
    record = model_record(model, model_spec, fp, cfg.model_args)
    if cfg.shard is not None:  # an independent job: `mmbench merge` scores all shards
        meta, path = distributed.write_shard(
            task, record, cfg.data_root, cfg.limit, report, started_at, t0, perturbation
        )
        return RunResult(meta, path)
    reports = ranks.gather(report)
    result = None
    if reports is not None:  # rank 0 (or a single process)
        distributed.absorb(store, reports[1:])
        done = Predicted(task, samples, store, reader, record, started_at, t0, perturbation)
        result = finish_task(done, cfg, out_dir, reports, distributed.layout(ranks, reports))
    return ranks.broadcast(result)


@dataclass
class Predicted:
    """A task whose predictions are all in: what :func:`finish_task` scores and records."""

    task: Task
    samples: Sequence[Sample]
    store: PredictionStore
    reader: Any
    model: dict[str, Any]  # the record's ``model`` object (see :func:`model_record`)
    started_at: str
    t0: float  # ``time.perf_counter()`` when the run started (``wall_time_s`` counts from it)
    perturbation: dict[str, Any] | None = None  # ``Pipeline.to_json()`` of a perturbed run


def finish_task(
    done: Predicted,
    cfg: RunConfig,
    out_dir: Path,
    reports: Sequence[distributed.ShardReport],
    layout: dict[str, Any],
) -> RunResult:
    """Score every sample once, build the results record, validate and write it atomically
    (a run, every torchrun rank's predictions gathered, and ``mmbench merge`` end here).
    The profile is the shard ``reports``' profiles combined (one report: its own); scoring
    runs under the run's torch threads (rank 0's thread policy)."""
    task, samples, store = done.task, done.samples, done.store
    perturbation = done.perturbation
    profile = combine_profiles([r.profile for r in reports], [r.latencies for r in reports])
    threads = (profile.get("threads") or {}).get("threads")
    kept: list[MetricLog] = []
    with torch_threads(threads) if threads else nullcontext():
        score_start = time.perf_counter()
        scores = score_task(task, samples, store, cfg.n_resamples, kept)
        profile["phases_s"]["score"] = time.perf_counter() - score_start
    if perturbation:  # a perturbed score is never comparable with a clean one
        spec = perturbation["spec"]
        scores = [replace(m, signature=f"{m.signature}|perturb:{spec}") for m in scores]
    errors = [
        {"id": s.id, "error": store.errors[s.id].error or ""}
        for s in samples
        if s.id not in store.predictions and s.id in store.errors
    ]
    outputs: dict[str, str] = {}
    if hasattr(done.reader, "export_predictions"):
        preds_by_id = {
            s.id: store.predictions[s.id].text for s in samples if s.id in store.predictions
        }
        written = done.reader.export_predictions(samples, preds_by_id, out_dir, done.model["name"])
        outputs = {k: str(v) for k, v in (written or {}).items()}
    variant = perturbation["spec"] if perturbation else None
    rpath = results_path(out_dir, done.model["name"], task.name, variant)
    log_start = time.perf_counter()
    log = write_sample_log_for(rpath, task, done.model["name"], samples, store, kept)
    phases = profile["phases_s"]
    phases["store"] = phases.get("store", 0.0) + time.perf_counter() - log_start
    record: dict[str, Any] = {
        "schema_version": 1,
        "task": {
            "name": task.name,
            "version": task.version,
            "kind": task.kind.value,
            "source": task.source,
            "limit": cfg.limit,
            "sha256": task.sha256 or None,
            "prompt": task.prompt,
        },
        "model": done.model,
        "scores": {m.name: m.to_json() for m in scores},
        "n_samples": len(samples),
        "n_errors": len(errors),
        "errors": errors,
        "scored_on": (
            "all samples; a failed sample is scored as an empty prediction"
            if any(s.references for s in samples)
            else "predict-only: the task has no reference answers; see outputs for the results "
            "file to submit to the official evaluation server"
        ),
        "wall_time_s": time.perf_counter() - done.t0,
        "profile": profile,
        "environment": environment(profile["device"]),
        "predictions_file": str(store.path),
        "outputs": outputs,
        "distributed": layout,
        "samples_log": log,
        "started_at": done.started_at,
        "finished_at": now_iso(),
    }
    if perturbation is not None:
        record["perturbation"] = perturbation
    validate(record)
    path = write_json_atomic(rpath, record)
    return RunResult(record, path, scores)
