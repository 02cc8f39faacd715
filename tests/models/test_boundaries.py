"""models/ is plain torch: it imports nothing above itself."""

import ast
from pathlib import Path

import mmbench

ABOVE = (
    "mmbench.runner",
    "mmbench.adapters",
    "mmbench.results",
    "mmbench.cli",
    "mmbench.experiments",
)


def test_models_import_nothing_above_themselves():
    root = Path(mmbench.__file__).parent / "models"
    offenders = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(ABOVE)]
    assert not offenders, offenders
