"""Cost of a run: synchronized timing, phases, latency percentiles, samples/s, tokens/s,
RTFx, peak memory, parameters and FLOPs, and a hardware fingerprint.

- :mod:`~mmbench.profiling.profiler`: the :class:`Profiler` the runner drives, and the
  model-side hooks :func:`model_phase` / :func:`report_tokens`;
- :mod:`~mmbench.profiling.memory`: peak host RSS and CUDA memory over the measured window;
- :mod:`~mmbench.profiling.compute`: the torch-module convention, parameters, FLOPs,
  dtype / compile hooks;
- :mod:`~mmbench.profiling.hardware`: fingerprint and the CUDA guard;
- :mod:`~mmbench.profiling.sweep`: the batch-size sweep behind ``mmbench profile``.
"""

from __future__ import annotations

from mmbench.profiling.hardware import DeviceUnavailable, fingerprint, require_device
from mmbench.profiling.profiler import (
    DEFAULT_WARMUP,
    BatchRecord,
    Profiler,
    model_phase,
    report_tokens,
)

__all__ = [
    "DEFAULT_WARMUP",
    "BatchRecord",
    "DeviceUnavailable",
    "Profiler",
    "fingerprint",
    "model_phase",
    "report_tokens",
    "require_device",
]
