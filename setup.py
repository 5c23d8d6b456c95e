"""Build step that pyproject.toml cannot express: ship the top-level folders inside the package.

An installed kiosk carries ``static/``, ``translations/`` (with every catalog
compiled) and the ``content/`` starter library as ``kiosk/static``,
``kiosk/translations`` and ``kiosk/starter_library``, where ``kiosk/shipped.py``
finds them. They are copied as folders rather than declared as package data,
because their sub-folders (``LC_MESSAGES``, article folders) are not packages.
Everything else about the project is in ``pyproject.toml``.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = {"static": "static", "translations": "translations", "content": "starter_library"}


class BuildWithShippedFolders(build_py):
    """``build_py``, then the shipped folders copied in and the catalogs compiled."""

    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for source, name in SHIPPED.items():
            self.copy_tree(source, str(Path(self.build_lib) / "kiosk" / name))
        for po in sorted((Path(self.build_lib) / "kiosk" / "translations").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as file:
                catalog = read_po(file, locale=po.parent.parent.name)
            with po.with_suffix(".mo").open("wb") as file:
                write_mo(file, catalog)


setup(cmdclass={"build_py": BuildWithShippedFolders})
