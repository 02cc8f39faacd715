"""Parameters and FLOPs of torch models, and the adapter hooks for dtype and compile.

**Convention**: an adapter that wraps a torch model exposes its ``torch.nn.Module`` either as
a method ``torch_module()`` or as an attribute ``module``. Then mmbench can count its
parameters and FLOPs, cast it and compile it. Any other model gets ``null`` values with the
reason in ``na``.

FLOPs are counted by ``torch.utils.flop_counter.FlopCounterMode`` while the adapter's
``predict`` runs on one real batch, so preprocessing, ``generate`` loops and heads are all
included; a multiply-add counts 2. It counts matmul, convolution and attention kernels
(elementwise ops, norms and activations are not counted), which is what dominates. torch's
counter knows the CUDA attention kernels only; mmbench adds the CPU one
(``_scaled_dot_product_flash_attention_for_cpu``, what ``F.scaled_dot_product_attention`` and
``nn.MultiheadAttention`` run on CPU) with the same formula, so CPU and GPU counts agree. On a
``torch.compile``'d model, counting resets dynamo afterwards (a compiled module first run
under the counter would otherwise stay eager), so the next call compiles again.

>>> class NoTorch: name = "m"
>>> flops_na(NoTorch())["na"]
'model exposes no torch module (define torch_module() or a `module` attribute)'
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import Any

NO_MODULE = "model exposes no torch module (define torch_module() or a `module` attribute)"

DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def torch_module(model: Any) -> Any | None:
    """The model's ``torch.nn.Module`` by the convention above, else ``None``."""
    candidate = None
    if callable(getattr(model, "torch_module", None)):
        candidate = model.torch_module()
    elif hasattr(model, "module"):
        candidate = model.module
    if candidate is None:
        return None
    import torch

    return candidate if isinstance(candidate, torch.nn.Module) else None


def parameter_count(module: Any) -> int:
    """Number of parameters (shared tensors counted once)."""
    seen: dict[int, int] = {}
    for p in module.parameters():
        seen[id(p)] = p.numel()
    return sum(seen.values())


def module_dtype(module: Any) -> str | None:
    """The dtype of the first floating parameter, e.g. ``float32``."""
    for p in module.parameters():
        if p.is_floating_point():
            return str(p.dtype).removeprefix("torch.")
    return None


def flops_na(model: Any, reason: str | None = None) -> dict[str, Any]:
    """The ``flops`` record of a model whose FLOPs are not counted."""
    module = torch_module(model)
    return {
        "parameters": parameter_count(module) if module is not None else None,
        "per_sample": None,
        "batch_size": None,
        "na": reason or NO_MODULE,
    }


def count_flops(model: Any, call: Callable[[], Any], batch_size: int) -> tuple[Any, dict[str, Any]]:
    """Run ``call()`` (one ``predict`` on a batch of ``batch_size``) under FlopCounterMode.

    Returns what ``call`` returned and the ``flops`` record. Raises what ``call`` raises.
    """
    module = torch_module(model)
    if module is None:
        return call(), flops_na(model)
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    compiled_before = "torch._dynamo" in sys.modules
    counter = FlopCounterMode(display=False, custom_mapping=_extra_formulas())
    with counter:
        result = call()
    if compiled_before:
        # A torch.compile'd module first called under a dispatch mode is never compiled
        # afterwards (dynamo skips its frames); a reset lets the next call compile it.
        torch.compiler.reset()
    total = int(counter.get_total_flops())
    return result, {
        "parameters": parameter_count(module),
        "per_sample": total / batch_size if batch_size else None,
        "batch_size": batch_size,
        "na": None,
    }


def _extra_formulas() -> dict[Any, Callable[..., int]]:
    """FLOP formulas for kernels ``FlopCounterMode`` does not know (CPU attention)."""
    import torch
    from torch.utils.flop_counter import sdpa_flop_count

    def attention(query: Any, key: Any, value: Any, *args: Any, **kwargs: Any) -> int:
        return sdpa_flop_count(query, key, value)  # shapes [B, H, S, D]: 2 matmuls

    cpu = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)
    return {} if cpu is None else {cpu: attention}


def apply_dtype(model: Any, device: str, dtype: str) -> str:
    """Put a model in ``dtype`` (fp32 | bf16 | fp16); returns how it was done.

    ``cast``: the adapter's ``to(device, dtype=...)`` accepts a dtype and casts weights and
    inputs itself. ``autocast``: a torch module without that hook runs under
    ``torch.autocast``. ``n/a: ...``: not a torch model, nothing changed. fp32 is a no-op.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    module = torch_module(model)
    if dtype == "fp32":
        return "native" if module is not None else f"n/a: {NO_MODULE}"
    import torch

    torch_dtype = getattr(torch, DTYPES[dtype])
    to = getattr(model, "to", None)
    if to is not None and "dtype" in inspect.signature(to).parameters:
        to(device, dtype=torch_dtype)
        return "cast"
    if module is not None:
        return "autocast"
    return f"n/a: {NO_MODULE}"


def apply_compile(model: Any) -> str:
    """``torch.compile`` a model: the adapter's ``compile()`` hook, else its torch module in
    place (``nn.Module.compile``); returns ``hook``, ``module`` or ``n/a: ...``."""
    hook = getattr(model, "compile", None)
    if callable(hook):
        hook()
        return "hook"
    module = torch_module(model)
    if module is None:
        return f"n/a: {NO_MODULE}"
    module.compile()
    return "module"
