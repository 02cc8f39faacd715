"""Human-readable quantities shared by terminal tables and reports (no heavy imports).

>>> format_bytes(1536), format_si(1234567.0)
('1.5 KiB', '1.23M')
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


def format_si(x: float | None, decimals: int = 2, sep: str = "", small: str = ".3g") -> str:
    """``1.23M``-style with SI prefixes k, M, G, T; ``small`` formats values under 1,000;
    ``-`` for unknown.

    >>> format_si(415_300.0, decimals=1, sep=" ", small=".0f"), format_si(12.5), format_si(None)
    ('415.3 k', '12.5', '-')
    """
    if x is None:
        return "-"
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(x) >= scale:
            return f"{x / scale:.{decimals}f}{sep}{prefix}"
    return f"{x:{small}}"
