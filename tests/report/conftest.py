"""Fixtures: synthetic but valid results + sample logs (see ``report/synthetic.py``)."""

from __future__ import annotations

import pytest
from report.synthetic import template_record, write_inputs

EVIL = "<script>alert(1)</script>"
TASKS = [("toy_vqa", "vqa"), ("toy_asr", "asr"), ("toy_caption", "caption")]


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    return template_record(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def board_dir(tmp_path_factory, template):
    """Four models on three tasks; one model's name is a script tag."""
    out = tmp_path_factory.mktemp("inputs")
    models = ["alpha-small", "alpha-big", "beta", EVIL]
    quality = {"alpha-small": 0.55, "alpha-big": 0.95, "beta": 0.93, EVIL: 0.05}
    write_inputs(out, template, models, TASKS, n_samples=120, quality=quality)
    return out
