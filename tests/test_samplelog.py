"""Per-sample logs: round trip, integrity checks, the runner's hook, and the size budget."""

from __future__ import annotations

import gzip
import hashlib
import json
import random

import pytest

from mmbench.results import load_results
from mmbench.runner import RunConfig, run_task
from mmbench.samplelog import (
    MetricLog,
    SampleLogError,
    SampleRow,
    encode_sample_log,
    log_path,
    read_sample_log,
    write_sample_log,
)
from mmbench.tasks import load_task


def _rows(n: int) -> list[SampleRow]:
    return [SampleRow(f"s{i}", f"p{i}", [f"r{i}"], None, "q?", {"k": i}) for i in range(n)]


def test_round_trip_and_deterministic_bytes(tmp_path):
    wer = MetricLog("wer", {"normalizer": "none"}, "wer|x", ["wer"], False, [(1, 0, 2, 3)] * 3)
    ref = write_sample_log(tmp_path / "a.samples.jsonl.gz", {"task": "t"}, _rows(3), [wer])
    again = encode_sample_log({"task": "t"}, _rows(3), [wer])
    assert hashlib.sha256(again).hexdigest() == ref["sha256"]  # no timestamp in the gzip
    log = read_sample_log(tmp_path / "a.samples.jsonl.gz", ref["sha256"])
    assert log.metric_stats("wer") == [(1, 0, 2, 3)] * 3
    assert log.samples[1]["meta"] == {"k": 1} and log.samples[1]["input"] == "q?"


def test_corrupt_missing_and_truncated_logs_name_the_file(tmp_path):
    path = tmp_path / "a.samples.jsonl.gz"
    ref = write_sample_log(path, {"task": "t"}, _rows(4), [])
    path.write_bytes(path.read_bytes()[:-9])
    with pytest.raises(SampleLogError, match="sha256 does not match") as err:
        read_sample_log(path, ref["sha256"])
    assert str(path) in str(err.value)
    with pytest.raises(SampleLogError, match="not a readable"):
        read_sample_log(path)
    lines = gzip.decompress(encode_sample_log({}, _rows(4), [])).splitlines()
    path.write_bytes(gzip.compress(b"\n".join(lines[:-1])))
    with pytest.raises(SampleLogError, match="truncated"):
        read_sample_log(path)
    with pytest.raises(SampleLogError, match="missing"):
        read_sample_log(tmp_path / "nope.samples.jsonl.gz")


def test_run_writes_log_with_its_sha256_and_the_task_file_hash(tmp_path):
    task = load_task("easyvqa")
    res = run_task("prior", task, RunConfig(out_dir=tmp_path, limit=20, progress=False))
    record = load_results(res.path)
    ref = record["samples_log"]
    assert (res.path.parent / ref["file"]) == log_path(res.path)
    log = read_sample_log(log_path(res.path), ref["sha256"])
    assert log.ids == [s["id"] for s in log.samples] and ref["n"] == 20 == len(log.ids)
    stats = log.metric_stats("vqa_accuracy")
    assert sum(stats) / len(stats) == pytest.approx(record["scores"]["vqa_accuracy"]["value"])
    from mmbench.tasks import tasks_root

    lines = (tasks_root() / "easyvqa.yaml").read_bytes().splitlines(keepends=True)
    kept = b"".join(line for line in lines if not line.startswith(b"prompt:"))  # one-line prompt
    expected = hashlib.sha256(kept).hexdigest()
    assert record["task"]["sha256"] == expected


def test_run_keeps_its_bootstrap_resamples_for_the_board(tmp_path):
    """Each metric's resampled scores (the run's seed and R, the log's order) are the draws
    of its CIs: the same bits as drawing them again from the logged statistics."""
    import numpy as np

    from mmbench.metrics.base import get_metric
    from mmbench.metrics.bootstrap import DEFAULT_SEED, bootstrap_scores

    cfg = RunConfig(out_dir=tmp_path, limit=30, progress=False, n_resamples=120)
    res = run_task("prior", load_task("shapes_caption"), cfg)
    log = read_sample_log(log_path(res.path), res.record["samples_log"]["sha256"])
    for name, key in (("cider", "CIDEr"), ("bleu", "Bleu_4")):
        kept = log.resampled(name, key, 120, DEFAULT_SEED)
        metric = get_metric(name, **log.metric(name)["options"])
        again = bootstrap_scores(metric, log.metric_stats(name), 120, DEFAULT_SEED)[key]
        assert kept.dtype == np.float64 and kept.tolist() == again.tolist()
        low, high = res.record["scores"][key]["ci95"]
        assert low == pytest.approx(np.quantile(kept, 0.025))
        assert high == pytest.approx(np.quantile(kept, 0.975))
    # another seed or count: not these resamples
    assert log.resampled("cider", "CIDEr", 1000, DEFAULT_SEED) is None
    assert log.resampled("cider", "CIDEr", 120, DEFAULT_SEED + 1) is None
    assert log.resampled("cider", "nope", 120, DEFAULT_SEED) is None


def test_caption_log_keeps_cider_tokens(tmp_path):
    res = run_task(
        "prior", load_task("shapes_caption"), RunConfig(out_dir=tmp_path, limit=15, progress=False)
    )
    log = read_sample_log(log_path(res.path), res.record["samples_log"]["sha256"])
    assert log.metric("cider")["stats"] == "tokens"
    assert log.metric("bleu")["stats"] == "per-sample"
    from mmbench.metrics.base import get_metric

    cider = get_metric("cider", **log.metric("cider")["options"])
    value = cider.score(log.metric_stats("cider"))["CIDEr"]
    assert value == pytest.approx(res.record["scores"]["CIDEr"]["value"])


def test_cider_from_logged_tokens_equals_recomputed_from_texts(tmp_path):
    """A log with the tokenizer's output and an old-style log (texts only, ``recompute``)
    give the same statistics: the same score and the same bootstrap draws, bit for bit."""
    from mmbench.metrics.base import get_metric
    from mmbench.metrics.bootstrap import bootstrap_scores

    rng = random.Random(3)
    words = ["a", "dog", "A.", "runs", "<b x='1'>", "cannot", "Dr.", "2 1/2", "(red)", "it's"]
    preds = [" ".join(rng.choices(words, k=rng.randint(1, 6))) for _ in range(40)]
    refs = [[" ".join(rng.choices(words, k=5)) for _ in range(3)] for _ in range(40)]
    cider = get_metric("cider")
    stats = cider.stats(preds, refs)
    rows = [SampleRow(f"s{i}", p, r) for i, (p, r) in enumerate(zip(preds, refs, strict=True))]
    new = MetricLog.of("cider", {}, cider, stats)
    old = MetricLog("cider", {}, cider.signature(), ["CIDEr"], True, stats)  # no tokens
    logs = []
    for name, m in (("new", new), ("old", old)):
        ref = write_sample_log(tmp_path / f"{name}.samples.jsonl.gz", {"task": "t"}, rows, [m])
        logs.append(read_sample_log(tmp_path / f"{name}.samples.jsonl.gz", ref["sha256"]))
    assert [log.metric("cider")["stats"] for log in logs] == ["tokens", "recompute"]
    assert logs[0].samples[0]["stats"]["cider"][0] == stats[0].batch.strings[0]
    got, want = (log.metric_stats("cider") for log in logs)
    assert cider.score(got) == cider.score(want) == cider.score(stats)
    draws = [bootstrap_scores(cider, s, 50, 7)["CIDEr"] for s in (got, want)]
    assert draws[0].tolist() == draws[1].tolist()


def test_vqav2_sized_log_stays_under_budget():
    """A VQAv2-like log (10 annotator answers, question, types) scaled to 20k of the 214k
    questions must stay under 20/214 of the 30 MB budget."""
    rng = random.Random(0)
    answers = ["yes", "no", "2", "red", "white", "tennis", "dog", "kitchen", "3", "blue"]
    n = 20_000
    rows = [
        SampleRow(
            str(458752000 + i),
            rng.choice(answers),
            [rng.choice(answers) for _ in range(10)],
            None,
            f"What color is the {rng.choice(answers)} thing number {i}?",
            {
                "question_id": 458752000 + i,
                "image_id": 458752 + i // 3,
                "question_type": "what color is the",
                "answer_type": "other",
            },
        )
        for i in range(n)
    ]
    acc = MetricLog(
        "vqa_accuracy",
        {},
        "vqa",
        ["vqa_accuracy"],
        True,
        [rng.choice([0.0, 0.3, 0.6, 0.9, 1.0]) for _ in range(n)],
    )
    size = len(encode_sample_log({"task": "vqav2_val"}, rows, [acc]))
    assert size < 30e6 * n / 214_354
    assert json.loads(gzip.decompress(encode_sample_log({}, rows[:1], [])).splitlines()[0])
