"""Build hook: the top-level ``tasks/`` folder ships inside the wheel as ``mmbench/_tasks``,
and the optional C extensions ``mmbench.metrics._sparse`` (a sparse product for the caption
bootstrap) and ``mmbench.perturb._resample`` (the blur's fixed-point resampling) are compiled
where a C compiler is found; without one, mmbench uses scipy's and numpy's.

Everything else is declared in ``pyproject.toml``. Editable installs read ``tasks/`` in place
(:func:`mmbench.tasks.tasks_root`), so the copy is made for real builds only.
"""

import sys
from pathlib import Path

from setuptools import Extension, setup
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


# No fused multiply-adds (-ffp-contract=off): the products must round as scipy's do;
# square roots without errno (-fno-math-errno) vectorize, with the same correctly rounded results.
SPARSE = Extension(
    "mmbench.metrics._sparse",
    ["mmbench/metrics/_sparse.c"],
    depends=["mmbench/_buffers.h"],
    extra_compile_args=[]
    if sys.platform == "win32"
    else ["-O3", "-ffp-contract=off", "-fno-math-errno"],
    optional=True,
)

# Integer arithmetic only: the numpy path gives the same bytes whatever the flags.
RESAMPLE = Extension(
    "mmbench.perturb._resample",
    ["mmbench/perturb/_resample.c"],
    depends=["mmbench/_buffers.h"],
    extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
    optional=True,
)

setup(cmdclass={"build_py": BuildPyWithTasks}, ext_modules=[SPARSE, RESAMPLE])
