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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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
from mmbench.metrics.bootstrap import DEFAULT_RESAMPLES, confidence_intervals
from mmbench.perturb import Pipeline
from mmbench.profiling import DEFAULT_WARMUP, Profiler
from mmbench.profiling.threads import thread_policy, torch_threads
from mmbench.results import environment, now_iso, results_path, validate
from mmbench.samplelog import MetricLog, write_sample_log_for
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
    """One timed model call (FLOPs counted on the first batch, see ``Profiler.timed_call``)."""
    call = lambda: predict_batch(model, batch, fail_fast)  # noqa: E731
    preds, rec = profiler.timed_call(model, call, len(batch), audio_seconds(batch), flops)
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
        cis = confidence_intervals(metric, stats, n_resamples=n_resamples) if n_resamples else {}
        sig = metric.signature()
        extra = metric.extras(stats)
        if keep is not None:
            keep.append(MetricLog.of(spec.name, options, metric, stats))
        for i, (key, value) in enumerate(values.items()):
            out.append(MetricResult(key, float(value), sig, cis.get(key), extra if i == 0 else {}))
    return out


def run_task(
    model_spec: str,
    task: Task,
    cfg: RunConfig,
    model: Any = None,
) -> RunResult:
    """Evaluate one model on one task; returns the (already written) results record."""
    started_at, t0 = now_iso(), time.perf_counter()
    profiler = Profiler(warmup=cfg.warmup, device=cfg.device)
    if model is None:
        ctx = ModelContext(task, cfg.data_root, cfg.device, model_args=cfg.model_args)
        model = build_model(model_spec, ctx)
    if hasattr(model, "to") and cfg.device != "cpu":
        model.to(cfg.device)
    info = model_info(model)
    fp = fingerprint(model, model_spec, cfg.model_args)
    pipeline = Pipeline.parse(cfg.perturb)
    perturbation = pipeline.to_json() if pipeline else None
    store = PredictionStore.open(
        cfg.out_dir, model.name, fp, task.name, task.version, perturbation=perturbation
    )
    blocked = sorted(m.value for m in pipeline.removed & required_modalities(model))

    with profiler.phase("read"):
        reader = task.make_reader(cfg.data_root)
        samples: list[Sample] = []
        for s in reader:
            if cfg.limit is not None and len(samples) >= cfg.limit:
                break
            samples.append(s)
    done = store.done_ids()
    pending = [s for s in samples if s.id not in done]
    batch_size = cfg.batch_size or int(task.defaults.get("batch_size", 16))
    modalities = set(getattr(model, "modalities", ()))
    dataset = _Decode(pending, modalities, pipeline)
    decodes = bool(modalities & {Modality.IMAGE, Modality.AUDIO})  # else workers: only start-up
    max_workers = int(task.defaults.get("workers", 2))
    profiler.threads = thread_policy(decodes, max_workers, cfg.threads, cfg.workers)
    workers = profiler.threads.workers
    profiler.plan(-(-len(pending) // batch_size))

    bar = _progress(cfg.progress, f"{model.name} · {task.name}", len(samples))
    with torch_threads(profiler.threads.threads), bar:
        bar_id = bar.add_task("predict", total=len(samples), completed=len(samples) - len(pending))
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
                preds = [Prediction(s.id, None, f"{why} ({pipeline.spec})") for s in good]
                if cfg.fail_fast:
                    raise RunAborted(preds[0].error)
            elif good:
                preds = _profiled_predict(profiler, model, good, cfg.fail_fast, cfg.flops)
            with profiler.phase("store"):
                store.append(failed + preds)
            bar.advance(bar_id, len(batch))
    profiler.close()

    kept: list[MetricLog] = []
    with torch_threads(profiler.threads.threads), profiler.phase("score"):
        scores = score_task(task, samples, store, cfg.n_resamples, kept)
    if pipeline:  # a perturbed score is never comparable with a clean one
        scores = [replace(m, signature=f"{m.signature}|perturb:{pipeline.spec}") for m in scores]
    errors = [
        {"id": s.id, "error": store.errors[s.id].error or ""}
        for s in samples
        if s.id not in store.predictions and s.id in store.errors
    ]
    outputs: dict[str, str] = {}
    if hasattr(reader, "export_predictions"):
        preds_by_id = {
            s.id: store.predictions[s.id].text for s in samples if s.id in store.predictions
        }
        written = reader.export_predictions(samples, preds_by_id, Path(cfg.out_dir), model.name)
        outputs = {k: str(v) for k, v in (written or {}).items()}
    rpath = results_path(cfg.out_dir, model.name, task.name, pipeline.spec if pipeline else None)
    with profiler.phase("store"):
        log = write_sample_log_for(rpath, task, model.name, samples, store, kept)
    with torch_threads(profiler.threads.threads):  # so the profile reports the run's threads
        profile = profiler.summary(model)
    parameters = info.get("parameters")
    record: dict[str, Any] = {
        "schema_version": 1,
        "task": {
            "name": task.name,
            "version": task.version,
            "kind": task.kind.value,
            "source": task.source,
            "limit": cfg.limit,
            "sha256": task.sha256 or None,
        },
        "model": {
            "name": model.name,
            "spec": model_spec,
            "fingerprint": fp,
            "parameters": int(parameters) if isinstance(parameters, (int, float)) else None,
            "checkpoint_sha256": info.get("checkpoint_sha256"),
            "info": info,
            "args": recorded_args(model_spec, cfg.model_args),
        },
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
        "wall_time_s": time.perf_counter() - t0,
        "profile": profile,
        "environment": environment(cfg.device),
        "predictions_file": str(store.path),
        "outputs": outputs,
        "samples_log": log,
        "started_at": started_at,
        "finished_at": now_iso(),
    }
    if perturbation is not None:
        record["perturbation"] = perturbation
    validate(record)
    path = write_json_atomic(rpath, record)
    return RunResult(record, path, scores)
