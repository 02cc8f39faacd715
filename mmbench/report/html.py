"""One self-contained ``index.html``: inline CSS, JS and PNG plots, no network at all.

Rendered with a jinja2 template (``templates/index.html.j2``) with autoescaping on, so every
model name, task name, prediction and reference is escaped. The page carries a
Content-Security-Policy that allows nothing from the network: only its own inline script and
style (pinned by their sha256) and ``data:`` images.

>>> csp_hash("x")
"'sha256-LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE='"
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from mmbench.report.board import Board
from mmbench.report.tables import (
    CONTENDED_NOTE,
    RULE,
    fmt_number,
    perturbation_text,
    sweep_rows,
)
from mmbench.units import CONTENDED_MARK as MARK
from mmbench.units import format_bytes

#: Groups (answer or question types) shown per breakdown table, the most frequent first; the
#: JSON has them all.
MAX_GROUPS = 12


def csp_hash(text: str) -> str:
    """The CSP source expression allowing an inline ``<script>``/``<style>`` with this text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _template_text(name: str) -> str:
    return (resources.files("mmbench.report") / "templates" / name).read_text(encoding="utf-8")


@cache
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_text),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt_number
    env.filters["bytes"] = format_bytes
    env.filters["perturbation"] = perturbation_text
    return env


def render_html(
    board: Board,
    plots: bool = True,
    embed_media: bool = False,
    notes: list[str] | None = None,
    task_plots: Callable[[], dict[str, str]] | None = None,
) -> str:
    """The page as a string (``plots=False`` leaves the matplotlib figures out;
    ``embed_media`` adds the shown samples' images and audio, see :mod:`mmbench.report.media`;
    a warning about media files that could not be read is appended to ``notes``).
    ``task_plots``: the task plots already started (:func:`~mmbench.report.plots.
    start_task_plots`; default: started here)."""
    from mmbench.report import samples
    from mmbench.report.media import MediaEmbedder
    from mmbench.report.plots import fusion_plot, start_task_plots, sweep_plot

    script = _template_text("board.js")
    style = _template_text("board.css")
    csp = (
        "default-src 'none'; img-src data:; media-src data:; "
        f"script-src {csp_hash(script)}; style-src {csp_hash(style)}; "
        "base-uri 'none'; form-action 'none'"
    )
    images = (task_plots or start_task_plots(board)) if plots else dict  # drawn meanwhile
    media = MediaEmbedder() if embed_media else None
    try:
        tasks = [
            {
                "board": t,
                "browser": samples.browser(board, t, media),
                "error_split": samples.error_split(t),
            }
            for t in board.tasks
        ]
    finally:
        drawn = images()  # (the workers are waited for even when a browser fails)
    for task in tasks:
        task["plot"] = drawn.get(task["board"].label)
    families = sorted({board.overall[m]["family"] for m in board.models})
    warning = media.warning() if media is not None else None
    if warning is not None and notes is not None:
        notes.append(warning)
    return (
        _env()
        .get_template("index.html.j2")
        .render(
            board=board,
            tasks=tasks,
            families=families,
            rule=RULE.format(n=board.n_resamples),
            breakdown_names=samples.BREAKDOWNS,
            max_groups=MAX_GROUPS,
            mark=MARK,
            contended_note=CONTENDED_NOTE,
            fusion_plot=fusion_plot(board) if plots else None,
            sweep_plot=sweep_plot(board) if plots else None,
            sweep_rows=sweep_rows(board),
            script=script,
            style=style,
            csp=csp,
        )
    )
