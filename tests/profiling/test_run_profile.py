"""Every run's results record carries a schema-valid profile; the summary table shows cost."""

from __future__ import annotations

import copy

import jsonschema
import pytest

from mmbench.cli._table import cost_cells, print_results
from mmbench.results import load_results, validate
from mmbench.runner import RunConfig, run_task
from mmbench.tasks import load_task

torch = pytest.importorskip("torch")
from tests.fixtures.torch_models import LinearText  # noqa: E402


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    cfg = RunConfig(out_dir=out, limit=64, batch_size=8, warmup=2, progress=False, n_resamples=0)
    res = run_task(
        "tests.fixtures.torch_models:make_linear", load_task("easyvqa"), cfg, model=LinearText()
    )
    return load_results(res.path)  # validates against the schema


def test_profile_in_results(record):
    prof = record["profile"]
    assert (prof["warmup_batches"], prof["measured_batches"], prof["measured_samples"]) == (
        2,
        6,
        48,
    )
    assert prof["samples_per_s"] > 0
    assert 0 < prof["latency_s"]["p50"] <= prof["latency_s"]["p90"] <= prof["latency_s"]["p99"]
    assert prof["flops"] == {"parameters": 512, "per_sample": 1024.0, "batch_size": 8, "na": None}
    assert {"read", "load", "predict", "store", "score"} <= set(prof["phases_s"])
    assert prof["tokens"]["generated"] == 48  # one-word answers
    assert prof["memory"]["host_peak_rss_bytes"] > 0
    assert prof["hardware"]["dtype"] == "float32" and prof["hardware"]["torch"]


def test_non_torch_run_has_flops_na(tmp_path):
    cfg = RunConfig(out_dir=tmp_path, limit=8, progress=False, n_resamples=0)
    prof = run_task("constant:yes", load_task("easyvqa"), cfg).record["profile"]
    assert prof["flops"]["per_sample"] is None and "torch module" in prof["flops"]["na"]
    assert prof["measured_batches"] == 1  # one batch: warm-up capped so it is measured


@pytest.mark.parametrize(
    "breaks",
    [
        lambda p: p.pop("memory"),
        lambda p: p["flops"].update(per_sample=None, na=None),
        lambda p: p["latency_s"].pop("p90"),
        lambda p: p.update(timer="wall"),
        lambda p: p["tokens"].update(source="guess"),
    ],
)
def test_schema_rejects_a_broken_profile(record, breaks):
    bad = copy.deepcopy(record)
    breaks(bad["profile"])
    with pytest.raises(jsonschema.ValidationError):
        validate(bad)


def test_summary_table_shows_cost(record, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    print_results([record])
    out = capsys.readouterr().out
    for col in ("samples/s", "p90 ms", "peak mem"):
        assert col in out
    assert "RTFx" not in out  # no audio in this task
    cells = cost_cells({**record["profile"], "audio": {"seconds": 10.0, "rtfx": 25.0}})
    assert cells["RTFx"] == "25.0"
    assert cells["p90 ms"] == f"{record['profile']['latency_s']['p90'] * 1000:,.1f}"


def test_run_on_cuda_without_cuda_is_a_clear_error(tmp_path, capsys):
    from mmbench.cli import main

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    args = ["run", "--model", "constant:yes", "--task", "easyvqa", "--device", "cuda"]
    assert main([*args, "--out", str(tmp_path), "--no-progress"]) == 2
    assert "torch.cuda.is_available() is False" in capsys.readouterr().err


class FailsUnderCounter(LinearText):
    """A torch model whose batched predict raises once inside FlopCounterMode (as wav2vec2's
    weight-normed conv does under inference_mode); one sample at a time it works."""

    def predict(self, samples):
        from torch.utils._python_dispatch import _get_current_dispatch_mode

        if _get_current_dispatch_mode() is not None and len(samples) > 1:
            raise RuntimeError("cannot count this kernel")
        return super().predict(samples)


@pytest.mark.parametrize("warmup", [0, 2])
def test_a_model_failing_under_the_flop_counter_gets_na_not_a_partial_count(tmp_path, warmup):
    cfg = RunConfig(out_dir=tmp_path, limit=32, batch_size=8, warmup=warmup, progress=False,
                    n_resamples=0)  # fmt: skip
    rec = run_task("fails-under-counter", load_task("easyvqa"), cfg, model=FailsUnderCounter())
    flops = rec.record["profile"]["flops"]
    assert flops["per_sample"] is None and "cannot count this kernel" in flops["na"]
    assert flops["parameters"] == 512
    assert rec.record["n_errors"] == 0  # every prediction made, outside the counter
