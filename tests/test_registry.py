import pytest

from mmbench.registry import MODELS, Registry, UnknownNameError


def test_register_and_get():
    r: Registry = Registry("thing")
    r.register("alpha")(1)
    assert r.get("alpha") == 1
    assert r.names() == ["alpha"]
    assert "alpha" in r and "beta" not in r


def test_unknown_name_lists_closest():
    r: Registry = Registry("thing")
    for name in ("prior", "constant", "echo"):
        r.register(name)(name)
    with pytest.raises(UnknownNameError) as err:
        r.get("priro")
    assert "Did you mean: prior?" in str(err.value)
    assert "Known things: constant, echo, prior" in str(err.value)


def test_double_registration_is_refused():
    r: Registry = Registry("thing")
    r.register("x")(1)
    with pytest.raises(ValueError, match="registered twice"):
        r.register("x")(2)


def test_entry_points_are_discovered(monkeypatch):
    import importlib.metadata as md

    class EP:
        name = "third-party"

        def load(self):
            return "factory"

    def fake_entry_points(group=None):
        return [EP()] if group == "mmbench.models" else []

    monkeypatch.setattr(md, "entry_points", fake_entry_points)
    r: Registry = Registry("model", entry_point_group="mmbench.models")
    assert r.get("third-party") == "factory"


def test_builtin_models_are_registered():
    assert {"prior", "constant", "echo"} <= set(MODELS.names())


def test_a_builtin_name_is_found_without_scanning_entry_points(monkeypatch):
    import importlib.metadata as md

    scans = []

    class EP:
        name = "third-party"

        def load(self):
            return "factory"

    def fake_entry_points(group=None):
        scans.append(group)
        return [EP()]

    monkeypatch.setattr(md, "entry_points", fake_entry_points)
    r: Registry = Registry("model", entry_point_group="mmbench.models")
    r.register("builtin")("mine")
    assert r.get("builtin") == "mine" and scans == []  # start-up: no scan of dists
    assert r.get("third-party") == "factory" and scans == ["mmbench.models"]
    assert r.names() == ["builtin", "third-party"] and len(scans) == 1
