"""The docs run: every fenced ``bash`` / ``python`` block of README.md and docs/ is executed.

Blocks run in page order in one temporary folder per page (so a page reads as a session: a
block may use a file an earlier one wrote), with ``mmbench`` on PATH, that folder on
PYTHONPATH and the user's data root (``$MMBENCH_DATA``). The info string after the language
may hold words:

- ``needs-data``, ``needs-gpu``, ``needs-network``: not run here (downloaded datasets, a CUDA
  device, or a package registry are needed); ``long``: not run here (a benchmark or a full
  training run: minutes of CPU); every other block runs;
- ``file=PATH``: the block (any language) is written to PATH; a Python file is then run, so it
  must import;
- ``output``: a block showing output, not run (plain fences without a language are never run).

Blocks inside ``<!-- docs-setup ... -->`` comments run too but are not shown: they make the
small inputs an example needs. Every relative link must resolve, its ``#anchor`` included.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    + [ROOT / d / "README.md" for d in ("tasks", "leaderboards", "benchmarks")]
)
PAGES = [p for p in PAGES if p.exists()]
RUNNABLE = {"bash": "bash", "sh": "bash", "shell": "bash", "python": "python", "py": "python"}
SKIP_WORDS = {"needs-data", "needs-gpu", "needs-network", "long", "output"}
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\((?P<target>[^)\s]+)\)")
BLOCK_TIMEOUT_S = 600


@dataclass
class Block:
    """One fenced code block of a page."""

    line: int
    lang: str
    words: set[str]
    code: str
    file: str | None = None
    hidden: bool = False

    @property
    def runs(self) -> bool:
        """Executed (or, with ``file=``, written) by the test."""
        return (self.lang in RUNNABLE or self.file is not None) and not (self.words & SKIP_WORDS)


@dataclass
class Page:
    path: Path
    blocks: list[Block] = field(default_factory=list)


def parse(path: Path) -> Page:
    """Fenced blocks of a Markdown file, with their line numbers and info words."""
    page = Page(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    i, in_setup = 0, False
    while i < len(lines):
        text = lines[i]
        if text.strip().startswith("<!-- docs-setup"):
            in_setup = True
        elif in_setup and text.strip() == "-->":
            in_setup = False
        m = FENCE.match(text)
        if m:
            fence, info = m["fence"], m["info"].strip().split()
            body, j = [], i + 1
            while j < len(lines) and not lines[j].strip().startswith(fence):
                body.append(lines[j][len(m["indent"]) :])
                j += 1
            lang = info[0].lower() if info else ""
            words = set(info[1:])
            file = next((w.split("=", 1)[1] for w in words if w.startswith("file=")), None)
            code = "\n".join(body) + "\n"
            page.blocks.append(Block(i + 1, lang, words, code, file, in_setup))
            i = j
        i += 1
    return page


def _env(workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir), env.get("PYTHONPATH")]))
    env.setdefault("COLUMNS", "120")
    return env


def run_block(block: Block, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Write or execute one block in ``workdir``."""
    kind = RUNNABLE.get(block.lang, "file")
    if block.file:
        target = workdir / block.file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.code, encoding="utf-8")
        for parent in target.relative_to(workdir).parents:  # make it an importable package
            if parent != Path(".") and kind == "python":
                (workdir / parent / "__init__.py").touch()
        if kind != "python":
            return subprocess.CompletedProcess([], 0, "", "")
        cmd = [sys.executable, str(target)]
    elif kind == "python":
        cmd = [sys.executable, "-c", block.code]
    else:
        cmd = ["bash", "-euo", "pipefail", "-c", block.code]
    return subprocess.run(
        cmd,
        cwd=workdir,
        env=_env(workdir),
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_block_of_the_page_runs(path: Path, tmp_path: Path):
    page = parse(path)
    for block in page.blocks:
        if not block.runs:
            continue
        done = run_block(block, tmp_path)
        where = f"{path.relative_to(ROOT)}:{block.line}"
        assert done.returncode == 0, (
            f"{where}: the {block.lang} block failed (exit {done.returncode})\n"
            f"--- block ---\n{block.code}--- stdout ---\n{done.stdout[-4000:]}"
            f"--- stderr ---\n{done.stderr[-4000:]}"
        )


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.

    >>> slug("Metrics: VQA accuracy, WER/CER")
    'metrics-vqa-accuracy-wercer'
    """
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    out: set[str] = set()
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
        elif not in_fence and line.startswith("#"):
            out.add(slug(line.lstrip("#")))
    return out


@pytest.mark.parametrize("path", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_every_relative_link_resolves(path: Path):
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^(```|~~~).*?^\1", "", text)  # links inside code are not links
    text = re.sub(r"`[^`\n]*`", "", text)
    bad = []
    for m in LINK.finditer(text):
        target = m["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:, file:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            bad.append(f"{target}: no such file {dest}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            bad.append(f"{target}: no heading #{anchor} in {dest.name}")
    assert not bad, f"{path.relative_to(ROOT)}: broken links:\n" + "\n".join(bad)


def test_blocks_are_found_and_markers_are_known():
    """The parser sees the README's set-up commands, and every info word is one it knows."""
    readme = parse(ROOT / "README.md")
    assert readme.blocks and readme.blocks[0].lang == "bash"
    known = SKIP_WORDS
    for path in PAGES:
        for block in parse(path).blocks:
            unknown = {w for w in block.words if w not in known and not w.startswith("file=")}
            assert not unknown, f"{path.name}:{block.line}: unknown info words {unknown}"


def test_readme_is_a_front_page_with_the_two_set_up_commands_first():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    first, second = parse(ROOT / "README.md").blocks[:2]
    assert "pip install" in first.code and "mmbench run" in first.code
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert second.code.strip() in ci, "the README's test command must be what .ci/run runs"
