"""Hardware and software fingerprint of a measurement, and the CUDA guard.

CUDA facts come from torch only when CUDA is really available; on a CPU build every GPU
field is ``null`` and ``gpu_na`` says why (nothing is faked).

>>> fp = fingerprint("cpu")
>>> fp["gpu_count"], fp["cpu_threads"] > 0
(0, True)
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from mmbench.profiling.memory import is_cuda


class DeviceUnavailable(RuntimeError):
    """A CUDA device was asked for but this torch cannot use one."""


def require_device(device: str) -> None:
    """Raise :class:`DeviceUnavailable` if ``device`` is CUDA and CUDA cannot be used."""
    if not is_cuda(device):
        return
    import torch

    if not torch.cuda.is_available():
        build = torch.version.cuda or "none (a CPU-only build)"
        raise DeviceUnavailable(
            f"--device {device}: torch.cuda.is_available() is False "
            f"(torch {torch.__version__}, built with CUDA {build}); use --device cpu"
        )
    index = torch.device(device).index
    if index is not None and index >= torch.cuda.device_count():
        raise DeviceUnavailable(
            f"--device {device}: only {torch.cuda.device_count()} CUDA device(s) visible"
        )


@cache
def cpu_model() -> str:
    """The CPU's marketing name from /proc/cpuinfo, else what ``platform`` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


@cache
def _driver_version() -> str | None:
    try:
        text = Path("/proc/driver/nvidia/version").read_text()
        for word in text.split():
            if word.count(".") >= 1 and word.replace(".", "").isdigit():
                return word
    except OSError:
        pass
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return (
        out.stdout.strip().splitlines()[0] if out.returncode == 0 and out.stdout.strip() else None
    )


def _torch_version() -> str | None:
    if "torch" in sys.modules:
        return sys.modules["torch"].__version__
    return _installed_torch()


@cache
def _installed_torch() -> str | None:
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return None


def _gpu(device: str) -> dict[str, Any]:
    torch = sys.modules.get("torch")
    if torch is None and not is_cuda(device):
        return {"gpu_na": "torch not loaded by this model (no GPU used)"}
    import torch

    if not torch.cuda.is_available():
        build = torch.version.cuda or "none (CPU-only build)"
        return {"gpu_na": f"torch.cuda.is_available() is False; torch built with CUDA {build}"}
    count = torch.cuda.device_count()
    names = [torch.cuda.get_device_name(i) for i in range(count)]
    index = torch.device(device).index if is_cuda(device) else None
    props = torch.cuda.get_device_properties(index or 0)
    return {
        "gpu_count": count,
        "gpu_names": names,
        "gpu_used": names[index or 0] if is_cuda(device) else None,
        "gpu_memory_bytes": int(props.total_memory),
        "gpu_capability": f"{props.major}.{props.minor}",
        "driver": _driver_version(),
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
    }


def fingerprint(
    device: str = "cpu", dtype: str | None = None, compiled: bool = False
) -> dict[str, Any]:
    """What the numbers were measured on: GPU(s), driver, CUDA, CPU, threads, versions."""
    torch = sys.modules.get("torch")
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = os.cpu_count() or 0
    out: dict[str, Any] = {
        "device": device,
        "gpu_count": 0,
        "gpu_names": [],
        "gpu_used": None,
        "gpu_memory_bytes": None,
        "gpu_capability": None,
        "driver": None,
        "cuda": None,
        "cudnn": None,
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count() or 0,
        "cpu_threads": affinity,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
        "python": platform.python_version(),
        "torch": _torch_version(),
        "dtype": dtype,
        "compiled": compiled,
    }
    out.update(_gpu(device))
    return out
