"""Make the repository root importable so tests can load ``tests.fixtures`` modules (also as
``--model tests.fixtures.torch_models:make_linear``) under plain ``pytest``."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
