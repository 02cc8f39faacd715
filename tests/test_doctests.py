"""The tiny examples in public docstrings are run, so they cannot rot."""

import doctest
import importlib
import pkgutil

import pytest

import mmbench

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(mmbench.__path__, "mmbench.")
    if not m.name.startswith("mmbench.cli") and m.name != "mmbench.__main__"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
