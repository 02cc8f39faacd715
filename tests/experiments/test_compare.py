"""Which (fusion, task) pairs ``compare`` can run."""

from __future__ import annotations

import dataclasses

from mmbench.experiments.compare import skip_reason
from mmbench.tasks import load_task


def test_skip_reasons():
    vqa = load_task("easyvqa")
    probe = [s for _, s in zip(range(2), vqa.samples(), strict=False)]
    assert skip_reason("gated", vqa, probe, trained=False) is None
    assert skip_reason("seed", vqa, probe, trained=False) is None
    unknown = dataclasses.replace(vqa, name="no_such_task")
    assert "no shipped weights" in skip_reason("gated", unknown, probe, trained=False)
    assert skip_reason("gated", unknown, probe, trained=True) is None
    caption = load_task("shapes_caption")
    assert "written questions only" in skip_reason("seed", caption, [], trained=True)
