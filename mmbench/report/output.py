"""Build a board and write every output file into one folder, atomically each.

>>> import tempfile
>>> from mmbench.report.inputs import Inputs, gc_frozen
>>> board, files = write_board(Inputs(), tempfile.mkdtemp(), html=False)
>>> [f.name for f in files]
['leaderboard.md', 'leaderboard.csv', 'leaderboard.json']
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path

from mmbench.atomic import write_text_atomic
from mmbench.metrics.bootstrap import DEFAULT_RESAMPLES
from mmbench.report.board import Board, build_board
from mmbench.report.inputs import Inputs, gc_frozen
from mmbench.report.tables import markdown, to_csv_text, to_json_text


def write_board(
    inputs: Inputs,
    out_dir: str | Path,
    title: str = "mmbench leaderboard",
    tasks: Sequence[str] | None = None,
    metric: dict[str, str] | str | None = None,
    baseline: str | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    html: bool = True,
    embed_media: bool = False,
    notes: list[str] | None = None,
) -> tuple[Board, list[Path]]:
    """Rank ``inputs`` and write ``leaderboard.{md,csv,json}`` (+ ``index.html``, with the
    shown samples' media if ``embed_media``; warnings are appended to ``notes``)."""
    board = build_board(inputs, title, tasks, metric, baseline, n_resamples)
    out = Path(out_dir)
    plots = None
    if html:  # the plots are drawn (in a worker process on a large board) meanwhile
        from mmbench.report.plots import start_task_plots

        plots = start_task_plots(board)
    # The logs and the board stay alive to the end: cyclic garbage collections skip them (on a
    # 50-model board they otherwise re-scan millions of objects and double the page's time).
    with gc_frozen():
        try:
            files = [
                write_text_atomic(out / "leaderboard.md", markdown(board)),
                write_text_atomic(out / "leaderboard.csv", to_csv_text(board)),
                write_text_atomic(out / "leaderboard.json", to_json_text(board)),
            ]
            if html:
                from mmbench.report.html import render_html

                page = render_html(board, embed_media=embed_media, notes=notes, task_plots=plots)
                files.append(write_text_atomic(out / "index.html", page))
        except BaseException:
            if plots is not None:  # the workers are waited for (waiting twice is harmless)
                with suppress(Exception):
                    plots()
            raise
    return board, files
