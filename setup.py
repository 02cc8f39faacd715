"""Build hook: the top-level ``tasks/`` folder ships inside the wheel as ``mmbench/_tasks``.

Everything else is declared in ``pyproject.toml``. Editable installs read ``tasks/`` in place
(:func:`mmbench.tasks.tasks_root`), so the copy is made for real builds only.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithTasks(build_py):
    """``build_py`` that also copies ``tasks/*.yaml`` and its README into the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "mmbench" / "_tasks"
        self.mkpath(str(target))
        for path in sorted((Path(__file__).parent / "tasks").iterdir()):
            if path.suffix in (".yaml", ".md"):
                self.copy_file(str(path), str(target / path.name))


setup(cmdclass={"build_py": BuildPyWithTasks})
