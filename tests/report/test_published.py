"""Every published board in ``leaderboards/`` is rebuilt from its committed inputs and must
match its committed Markdown and JSON exactly (boards cannot drift from the code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mmbench.report.inputs import collect
from mmbench.report.output import write_board

ROOT = Path(__file__).resolve().parents[2] / "leaderboards"
BOARDS = sorted(p.parent for p in ROOT.glob("*/results"))
MAX_BYTES = 5 * 2**20


@pytest.mark.parametrize("board", BOARDS, ids=[b.name for b in BOARDS])
def test_board_rebuilds_identically(board, tmp_path):
    committed = json.loads((board / "leaderboard.json").read_text())
    found = collect([board / "results"])
    assert found.skipped == []
    write_board(
        found,
        tmp_path,
        title=committed["title"],
        tasks=[t["name"] for t in committed["tasks"]],
        baseline=committed["baseline"],
        n_resamples=committed["ranking"]["n_resamples"],
        html=False,
    )
    for name in ("leaderboard.md", "leaderboard.json"):
        assert (tmp_path / name).read_text() == (board / name).read_text(), name
    size = sum(f.stat().st_size for f in board.rglob("*") if f.is_file())
    assert size <= MAX_BYTES, f"{board.name} is {size / 2**20:.1f} MiB"
    assert (board / "index.html").exists() and (board / "README.md").exists()


def test_there_are_published_boards():
    assert {"mini", "fusion", "robustness"} <= {b.name for b in BOARDS}
