"""The page is self-contained and escapes every string that comes from models or data."""

from __future__ import annotations

import base64
import html
import io
import json
import re

import pytest
from PIL import Image
from report.conftest import EVIL
from report.synthetic import write_inputs

from mmbench.report.board import build_board
from mmbench.report.html import csp_hash, render_html
from mmbench.report.inputs import collect


@pytest.fixture(scope="module")
def page(board_dir):
    return render_html(build_board(collect([board_dir]), n_resamples=100, baseline="beta"))


def test_model_names_and_predictions_are_escaped(page):
    assert EVIL not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # predictions travel as JSON data with "<" and ">" escaped; the page sets them as text
    assert "<b onmouseover" not in page and "\\u003cb onmouseover=alert(2)\\u003e" in page
    # the only executable script is the page's own; the rest are JSON data blocks whose
    # "<" are escaped, so no model string can close them
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert scripts.count("") == 1
    assert all(s == ' type="application/json" class="sb-data"' for s in scripts if s)
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S):
        assert "<" not in block


def test_csp_pins_the_inline_script_and_style_and_nothing_loads(page):
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    csp = html.unescape(found.group(1))
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*)</style>", page, re.S).group(1)
    assert f"script-src {csp_hash(script)}" in csp and f"style-src {csp_hash(style)}" in csp
    assert "default-src 'none'" in csp
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert re.search(r'<img class="plot" [^>]*src="data:image/png;base64,', page)


def test_task_tabs_breakdowns_and_browser(page):
    for name in ("toy_vqa", "toy_asr", "toy_caption"):
        assert f">{name}</button>" in page
    assert "substitutions</th>" in page  # ASR S/D/I split
    assert "VQA accuracy by answer type" in page and "VQA accuracy by question type" in page
    data = [
        json.loads(b)
        for b in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
    ]
    assert len(data) == 3 and all(len(d["models"]) == 4 for d in data)
    # small board: every model's prediction on every sample is embedded for the comparison
    assert all(len(d["contested"]) == d["n_samples"] == 120 for d in data)
    vqa = data[2]
    first = vqa["models"][0]
    assert len(first["cells"]) == 120 and len(first["worst"]) == 3


def test_embed_media_adds_small_images_and_clips_and_warns_once(tmp_path, template):
    write_inputs(
        tmp_path,
        template,
        ["m1", "m2"],
        [("toy_vqa", "vqa"), ("toy_asr", "asr")],
        n_samples=12,
        media_dir=tmp_path / "media",
    )
    board = build_board(collect([tmp_path]), n_resamples=50)
    notes: list[str] = []
    page = render_html(board, plots=False, embed_media=True, notes=notes)
    data = [
        json.loads(b)
        for b in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S)
    ]
    shown = {s["id"]: s for d in data for s in d["samples"]}
    assert "image" not in shown["toy_vqa-0"] and "image" not in shown["toy_asr-0"]
    image = shown["toy_vqa-3"]["image"]
    assert image.startswith("data:image/jpeg;base64,")
    assert Image.open(io.BytesIO(base64.b64decode(image.split(",")[1]))).size == (128, 64)
    assert shown["toy_asr-3"]["audio"].startswith("data:audio/wav;base64,")
    (note,) = notes
    assert "2 media file(s) missing" in note and "toy_" in note
    plain = render_html(board, plots=False)
    assert "data:image/jpeg" not in plain and "/media/" not in plain


def test_plots_drawn_in_worker_processes_are_the_same(board_dir):
    """Plots drawn in one or two forked workers (each with its own figures; with two, every
    other column each) are byte for byte those drawn here, in the board's column order."""
    from mmbench.report.plots import task_plots

    board = build_board(collect([board_dir]), n_resamples=100)
    here = task_plots(board, processes=0)
    assert list(here) == [t.label for t in board.tasks]
    assert all(uri.startswith("data:image/png;base64,") for uri in here.values())
    for processes in (1, 2):
        pooled = task_plots(board, processes=processes)
        assert list(pooled) == list(here) and pooled == here
