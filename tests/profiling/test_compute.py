"""FLOPs and parameters of torch models, and the dtype / compile hooks."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

from mmbench.profiling import Profiler  # noqa: E402
from mmbench.profiling.compute import (  # noqa: E402
    NO_MODULE,
    apply_compile,
    apply_dtype,
    count_flops,
    torch_module,
)
from mmbench.tasks import load_task  # noqa: E402
from tests.fixtures.torch_models import ConvVQA, LinearText  # noqa: E402


@pytest.fixture(scope="module")
def samples():
    return list(itertools.islice(load_task("easyvqa").samples(), 8))


class Counting:
    """Wraps a model and counts predict calls."""

    def __init__(self, model):
        self.inner, self.calls, self.name = model, 0, model.name

    def torch_module(self):
        return torch_module(self.inner)

    def predict(self, samples):
        self.calls += 1
        return self.inner.predict(samples)


@pytest.mark.parametrize(("n_in", "n_out", "batch"), [(64, 8, 5), (16, 3, 1)])
def test_flops_exact_on_a_linear_model(samples, n_in, n_out, batch):
    model = LinearText(n_in, n_out)
    _, flops = count_flops(model, lambda: model.predict(samples[:batch]), batch)
    assert flops["per_sample"] == 2 * n_in * n_out
    assert flops["parameters"] == n_in * n_out
    assert (flops["batch_size"], flops["na"]) == (batch, None)


def test_flops_of_conv_model_follow_the_conv_formula(samples):
    model = ConvVQA()  # module exposed as the `module` attribute
    _, flops = count_flops(model, lambda: model.predict(samples[:2]), 2)
    conv = 2 * 8 * (3 * 3 * 3) * 31 * 31  # out channels * kernel volume * output positions
    head = 2 * 8 * 8
    assert flops["per_sample"] == conv + head
    assert flops["parameters"] == (8 * 27 + 8) + (8 * 8 + 8)


class Attention(torch.nn.Module):
    """One query per sample attends to 10 tokens, 4 heads of 8: no projections."""

    def forward(self, x):
        q, kv = x[:, :, :1], x  # [B, 4, 1, 8], [B, 4, 10, 8]
        return torch.nn.functional.scaled_dot_product_attention(q, kv, kv)


def test_cpu_attention_kernel_flops_are_counted():
    module = Attention()

    class Model:
        name = "attention"

        def torch_module(self):
            return module

        def predict(self, samples):
            return module(torch.randn(len(samples), 4, 10, 8))

    _, flops = count_flops(Model(), lambda: Model().predict([0, 1, 2]), 3)
    # scores q k^T and the weighted sum of values: 2 matmuls of 1 x 10 x 8 per head
    assert flops["per_sample"] == 2 * (2 * 4 * 1 * 10 * 8)


def test_non_torch_model_says_why():
    class Plain:
        name = "plain"

        def predict(self, samples):
            return ["x"] * len(samples)

    _, flops = count_flops(Plain(), lambda: ["x"], 1)
    assert flops == {"parameters": None, "per_sample": None, "batch_size": None, "na": NO_MODULE}


@pytest.mark.parametrize(("warmup", "extra_calls"), [(2, 0), (0, 1)])
def test_flops_counted_on_warmup_batch_or_one_extra_untimed_call(samples, warmup, extra_calls):
    model = Counting(LinearText())
    p = Profiler(warmup=warmup)
    for batch in (samples[:4], samples[4:8], samples[:4]):
        p.timed_call(model, lambda b=batch: model.predict(b), len(batch))
    assert model.calls == 3 + extra_calls
    assert p.flops["per_sample"] == 2 * 64 * 8
    s = p.summary(model)
    assert s["measured_batches"] == 3 - warmup
    assert s["flops"]["per_sample"] == 2 * 64 * 8
    assert s["hardware"]["dtype"] == "float32"


def test_dtype_hooks(samples):
    linear = LinearText()
    assert apply_dtype(linear, "cpu", "bf16") == "cast"
    assert linear.linear.weight.dtype == torch.bfloat16
    assert len(linear.predict(samples[:2])) == 2
    assert apply_dtype(ConvVQA(), "cpu", "bf16") == "autocast"
    assert apply_dtype(ConvVQA(), "cpu", "fp32") == "native"

    class Plain:
        name = "plain"

    assert apply_dtype(Plain(), "cpu", "fp16").startswith("n/a")
    with pytest.raises(ValueError, match="dtype must be one of"):
        apply_dtype(linear, "cpu", "int8")


def test_compile_hooks():
    class Hooked:
        name, compiled = "hooked", False

        def compile(self):
            self.compiled = True

    hooked = Hooked()
    assert apply_compile(hooked) == "hook" and hooked.compiled

    class Plain:
        name = "plain"

    assert apply_compile(Plain()).startswith("n/a")


def test_counting_resets_dynamo_once_it_is_loaded(samples, monkeypatch):
    import types

    from mmbench.profiling import compute

    resets = []
    monkeypatch.setattr(torch.compiler, "reset", lambda: resets.append(1))
    model = LinearText()
    monkeypatch.setattr(compute, "sys", types.SimpleNamespace(modules={}))
    count_flops(model, lambda: model.predict(samples[:1]), 1)
    assert resets == []  # dynamo not loaded before: nothing could have been compiled
    monkeypatch.setattr(compute, "sys", types.SimpleNamespace(modules={"torch._dynamo": None}))
    count_flops(model, lambda: model.predict(samples[:1]), 1)
    assert resets == [1]


def test_profile_with_compile_counts_flops_on_the_eager_model(tmp_path):
    from mmbench.profiling.sweep import run_profile

    class CompiledLinear(LinearText):
        def __init__(self):
            super().__init__()
            self.events = []

        def compile(self):
            self.events.append("compile")

        def predict(self, samples):
            self.events.append("predict")
            return super().predict(samples)

    model = CompiledLinear()
    run = run_profile(
        "x", load_task("easyvqa"), [2, 4], tmp_path, compile_model=True, limit=8, warmup=1,
        model=model,
    )  # fmt: skip
    assert model.events[:3] == ["predict", "compile", "predict"]  # FLOPs counted before
    assert model.events.count("predict") == 1 + (1 + 4) + (1 + 2)  # count + two sweeps
    assert run.record["compile"] == "hook" and run.record["hardware"]["compiled"] is True
    assert [p["flops"]["per_sample"] for p in run.record["points"]] == [1024.0, 1024.0]
    assert run.json_path.name == "easyvqa__linear-64x8__cpu-fp32-compiled.json"
