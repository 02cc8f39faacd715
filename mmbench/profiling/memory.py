"""Peak memory over a measured window: host RSS and, on CUDA, allocated / reserved bytes.

Host: Linux keeps the process's peak RSS (``VmHWM``); writing ``5`` to
``/proc/self/clear_refs`` resets it, so the peak covers only the window. Where that is not
possible the lifetime peak of ``getrusage`` is reported and ``host_peak_rss_scope`` says
``process``. CUDA: ``torch.cuda.reset_peak_memory_stats`` before the window, then
``max_memory_allocated`` / ``max_memory_reserved``. DataLoader worker processes are not
included (their memory is their own).

>>> w = MemoryWindow(device="cpu")
>>> w.start()
>>> w.sample()
>>> r = w.result()
>>> r["host_peak_rss_bytes"] > 0, r["cuda_max_allocated_bytes"] is None
(True, True)
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _vm_hwm_bytes() -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # reported in kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_host_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process; False where unsupported."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return _vm_hwm_bytes() is not None


def host_peak_rss_bytes() -> int:
    """Peak resident set size of this process in bytes (since the last reset on Linux)."""
    hwm = _vm_hwm_bytes()
    if hwm is not None:
        return hwm
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)  # macOS: bytes; Linux: kB


def is_cuda(device: str) -> bool:
    return str(device).startswith("cuda")


@dataclass
class MemoryWindow:
    """Peak memory between :meth:`start` and the last :meth:`sample`."""

    device: str = "cpu"
    scope: str = "process"
    host_peak: int = 0
    cuda_allocated: int | None = None
    cuda_reserved: int | None = None

    def start(self) -> None:
        """Reset the peaks; on CUDA after a synchronize so queued work is not counted twice."""
        if is_cuda(self.device):
            import torch

            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
        self.scope = "window" if reset_host_peak() else "process"
        self.host_peak = host_peak_rss_bytes()

    def sample(self) -> None:
        """Read the peaks so far (cheap: one /proc read, two CUDA counters)."""
        self.host_peak = max(self.host_peak, host_peak_rss_bytes())
        if is_cuda(self.device):
            import torch

            self.cuda_allocated = int(torch.cuda.max_memory_allocated(self.device))
            self.cuda_reserved = int(torch.cuda.max_memory_reserved(self.device))

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "host_peak_rss_bytes": int(self.host_peak),
            "host_peak_rss_scope": self.scope,
            "cuda_max_allocated_bytes": self.cuda_allocated,
            "cuda_max_reserved_bytes": self.cuda_reserved,
        }
        if not is_cuda(self.device):
            out["cuda_na"] = f"device is {self.device!r}, not CUDA"
        return out
