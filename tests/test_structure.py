"""How the code is put together: dependencies run one way, and every module says what it is for."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

from .conftest import ROOT

KIOSK = ROOT / "kiosk"


def imported_modules(path):
    """The ``kiosk.*`` modules a source file imports, as dotted names."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name == "__init__.py":
        package = package.removesuffix(".__init__")
    else:
        package = package.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "kiosk" or name.startswith("kiosk.")}


SOURCES = sorted(KIOSK.rglob("*.py"))


@pytest.mark.parametrize("path", [p for p in SOURCES if "patron" in p.parts or "content" in p.parts],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_patron_and_content_code_never_import_staff_code(path):
    assert not [name for name in imported_modules(path) if name.startswith("kiosk.staff")]


@pytest.mark.parametrize("path", [p for p in SOURCES if "content" in p.parts], ids=lambda p: str(p.relative_to(ROOT)))
def test_content_code_knows_nothing_of_pages(path):
    pages = ("kiosk.patron", "kiosk.handouts", "kiosk.layout", "kiosk.web", "kiosk.staff", "kiosk.deploy")
    assert not [name for name in imported_modules(path) if name.startswith(pages)]


AUDIENCES = ("kiosk.patron", "kiosk.handouts", "kiosk.speech", "kiosk.staff", "kiosk.usage", "kiosk.fleet_health",
             "kiosk.deploy")
"""The packages that serve one audience or one part; what every page shares lives above them."""


@pytest.mark.parametrize("path", [p for p in KIOSK.glob("*.py") if p.name != "__init__.py"],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_what_every_page_shares_imports_no_package_above_it(path):
    """``layout.py``, ``i18n.py``, ``display.py``... are imported by the packages, never the other way."""
    assert not [name for name in imported_modules(path) if name.startswith(AUDIENCES)]


def _package(module: str) -> str:
    return module.rsplit(".", 1)[0]


VIEWS = {".".join(path.relative_to(ROOT).with_suffix("").parts): path for path in SOURCES
         if any(word in path.read_text(encoding="utf-8") for word in ("Blueprint(", "@bp."))}
"""The modules that serve addresses (each has its blueprint; the staff package's modules share one)."""
SESSION_END = "kiosk.patron.session"
"""The end of a patron session, which the staff's Leave is as well: the one view another package may call."""


@pytest.mark.parametrize("module", sorted(VIEWS))
def test_no_view_imports_the_views_of_another_package(module):
    """What pages share (``reading.py``, ``local_help.py``, ``handouts/handout.py``...) lives outside any view."""
    imported = imported_modules(VIEWS[module])
    assert not [name for name in imported if name in VIEWS and _package(name) != _package(module)
                and name != SESSION_END]


def _code_map() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme[readme.index("## Layout of the code"):].split("\n## ", 1)[0]


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name != "__init__.py" or p.parent == KIOSK],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_is_on_the_readme_code_map(path):
    """The README's layout of the code names every module: by its path, or by its name in its package's row."""
    code_map = _code_map()
    package_row = next((row for row in code_map.splitlines()
                        if row.startswith(f"| `{path.parent.relative_to(ROOT).as_posix()}/`")), "")
    assert f"`{path.relative_to(ROOT).as_posix()}`" in code_map or f"`{path.name}`" in package_row


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_module_and_public_function_says_what_it_is_for(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), "module docstring"
    undocumented = [node.name for node in ast.walk(tree)
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")
                    and not ast.get_docstring(node) and not _is_inner(tree, node)]
    assert undocumented == []


def _is_inner(tree, target):
    """Functions nested in other functions are private to them."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is not target:
            if any(child is target for child in ast.walk(node)):
                return True
    return False


def test_create_app_only_wires():
    tree = ast.parse((KIOSK / "__init__.py").read_text(encoding="utf-8"))
    create_app = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "create_app")
    loops_and_calls = [node for node in ast.walk(create_app) if isinstance(node, (ast.While, ast.If, ast.Try))]
    assert loops_and_calls == []


MODULES = sorted(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                 for path in SOURCES)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_imports(name):
    """A module that names something no longer there fails here, even if nothing imports it yet."""
    importlib.import_module(name)


def test_a_looks_child_imports_nothing_of_the_web():
    # The child of every look at a big library's folder starts afresh: Flask and its kin took a third of a
    # second of each look, and, through the watcher's share of a core, made the pause after it six seconds longer.
    code = ("import sys, kiosk.content.taking; "
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'flask', 'flask_babel', 'werkzeug', "
            "'jinja2', 'waitress'}))")
    finished = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert finished.stdout.strip() == "[]"
