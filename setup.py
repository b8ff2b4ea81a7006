"""The one thing pyproject.toml cannot say: ship the graph inside the wheel.

ontology/, data/ttl/ and queries/ live at the top of the repository (where curators
work), and are copied into the built package as ``mfbt_kg/project/`` so that an
installed ``mfbt-kg serve`` finds them outside a checkout (``graph.files.project_root``).
An editable install reads the checkout itself and copies nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).parent
SHIPPED = {"ontology": ("*.ttl",), "data/ttl": ("*.ttl",), "queries": ("*.rq", "*.md")}


class BuildWithGraph(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "mfbt_kg" / "project"
        for folder, patterns in SHIPPED.items():
            for pattern in patterns:
                for path in sorted((HERE / folder).rglob(pattern)):
                    dest = target / path.relative_to(HERE)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, dest)


setup(cmdclass={"build_py": BuildWithGraph})
