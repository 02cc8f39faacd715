"""Leaderboards from results records and their per-sample logs (``mmbench leaderboard``).

:func:`~mmbench.report.inputs.collect` reads and checks the files,
:func:`~mmbench.report.board.build_board` ranks the models per task with paired bootstrap
tests (:mod:`mmbench.report.ranking`), and :mod:`mmbench.report.render` /
:mod:`mmbench.report.html` write Markdown, CSV, JSON and one self-contained HTML page.
Reports read only results records and sample logs: never a dataset.
"""
