"""Build step that pyproject.toml cannot express: ship the top-level folders inside the package.

An installed kiosk carries ``static/``, ``translations/`` (with every catalog
compiled) and the ``content/`` starter library as ``kiosk/static``,
``kiosk/translations`` and ``kiosk/starter_library``, where ``kiosk/shipped.py``
finds them. They are copied as folders rather than declared as package data,
because their sub-folders (``LC_MESSAGES``, article folders) are not packages.
The catalogs are compiled the kiosk's one way (``kiosk/catalog_compiling.py``),
loaded by its path: the build has Babel, but not the kiosk's other dependencies.
Everything else about the project is in ``pyproject.toml``.
"""

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = {"static": "static", "translations": "translations", "content": "starter_library"}


class BuildWithShippedFolders(build_py):
    """``build_py``, then the shipped folders copied in and the catalogs compiled."""

    def run(self):
        super().run()
        for source, name in SHIPPED.items():
            self.copy_tree(source, str(Path(self.build_lib) / "kiosk" / name))
        spec = importlib.util.spec_from_file_location("catalog_compiling", Path(__file__).parent / "kiosk" / "catalog_compiling.py")
        compiling = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(compiling)
        compiling.compile_stale(Path(self.build_lib) / "kiosk" / "translations")

setup(cmdclass={"build_py": BuildWithShippedFolders})
