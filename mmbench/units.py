"""Human-readable quantities shared by terminal tables and reports (no heavy imports).

>>> format_bytes(1536)
'1.5 KiB'
"""

from __future__ import annotations

#: Marks a throughput measured under CPU contention (``profile.contention.contended``, see
#: :mod:`mmbench.profiling.contention`) in every table: terminal, Markdown, the board's page.
CONTENDED_MARK = "†"


def format_bytes(n: int | None) -> str:
    """``1.5 GiB``; ``-`` for unknown.

    >>> format_bytes(3 * 2**20)
    '3.0 MiB'
    """
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return "-"
