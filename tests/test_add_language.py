"""The README's recipe for adding a language, followed step by step in a throwaway copy of the kiosk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from .conftest import ROOT

ESPERANTO = 'Language("eo", "Esperanto", "Esperanto", "ltr", "eo", "eo", "fonts-noto-core"),\n'


def run(copy: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    env.pop("KIOSK_LANGUAGES", None)
    return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True,
                          timeout=120, check=check)


def test_adding_a_language_by_the_readme_recipe(tmp_path):
    copy = tmp_path / "kiosk-copy"
    copy.mkdir()
    shutil.copytree(ROOT / "kiosk", copy / "kiosk", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "content", copy / "content")
    shutil.copytree(ROOT / "translations", copy / "translations", ignore=shutil.ignore_patterns("*.mo"))
    shutil.copy(ROOT / "babel.cfg", copy / "babel.cfg")

    # 1. (the style guide's page and glossary: see test_the_recipe_starts_from_the_style_guide)
    # 2. A registry entry.
    registry = copy / "kiosk" / "languages.py"
    text = registry.read_text(encoding="utf-8")
    anchor = '    Language("uk", "Українська"'
    line_end = text.index("\n", text.index(anchor)) + 1
    registry.write_text(text[:line_end] + "    " + ESPERANTO + text[line_end:], encoding="utf-8")
    keyboards = copy / "kiosk" / "keyboards.py"
    text = keyboards.read_text(encoding="utf-8")
    anchor = '    "uk": KeyboardLayout('
    line_end = text.index("\n", text.index(anchor)) + 1
    keyboards.write_text(text[:line_end] + '    "eo": KeyboardLayout(_rows(*QWERTY, "ĉ ĝ ĥ ĵ ŝ ŭ")),\n' + text[line_end:],
                         encoding="utf-8")

    # 3. A catalog, started with `translate init`, then translated.
    run(copy, "-m", "flask", "--app", "kiosk", "translate", "extract")
    run(copy, "-m", "flask", "--app", "kiosk", "translate", "init", "eo")
    po_path = copy / "translations" / "eo" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale="eo")
    for message in catalog:
        if message.id:
            message.string = (tuple(f"EO {form}" for form in message.id) if isinstance(message.id, tuple)
                              else f"EO {message.id}")
    with po_path.open("wb") as handle:
        write_po(handle, catalog)
    run(copy, "-m", "flask", "--app", "kiosk", "translate", "compile")

    # 4. Topic names and an article translation.
    topics = copy / "content" / "topics.yaml"
    lines = []
    for line in topics.read_text(encoding="utf-8").splitlines():
        lines.append(line)
        if line.startswith("  uk: "):
            lines.append("  eo: Temo")
    topics.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (copy / "content" / "articles" / "intimacy" / "eo.md").write_text(
        "---\ntitle: Intimeco\nsummary: Pri proksimeco.\ntranslated_from: 1\nreviewed: false\n---\n\n"
        "Intimeco signifas proksimecon.\n", encoding="utf-8")
    check = run(copy, "-m", "flask", "--app", "kiosk", "content", "check", check=False)
    assert check.returncode == 0, check.stdout + check.stderr

    # 5. The kiosk now offers it.
    probe = run(copy, "-c", """
import json, kiosk
from kiosk import create_app

client = create_app({"TESTING": True}).test_client()
welcome = client.get("/eo/").get_data(as_text=True)
article = client.get("/eo/articles/intimacy").get_data(as_text=True)
missing = client.get("/eo/articles/consent").get_data(as_text=True)
keyboard = client.get("/eo/keyboard").get_data(as_text=True)
print(json.dumps({"file": kiosk.__file__, "welcome": welcome, "article": article, "missing": missing,
                  "keyboard": keyboard}))
""")
    pages = json.loads(probe.stdout)
    assert pages["file"].startswith(str(copy))
    assert '<html lang="eo" dir="ltr"' in pages["welcome"]
    assert "EO Search the articles" in pages["welcome"]
    assert ">Esperanto</a>" in pages["welcome"]
    assert "Temo" in pages["welcome"]
    assert "Intimeco" in pages["article"]
    assert "EO This article is not available in your language yet." in pages["missing"]
    assert 'data-key="ĉ"' in pages["keyboard"]  # its on-screen keyboard


def test_the_recipe_starts_from_the_style_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    recipe = readme[readme.index("### Adding a language"):]
    first_step = recipe[recipe.index("1. "):recipe.index("2. ")]
    assert "docs/translation-style/README.md" in first_step
    guide = (ROOT / "docs" / "translation-style" / "README.md").read_text(encoding="utf-8")
    for decision in ("Who is addressed", "Regional variety", "Gender", "Quotation marks", "Set phrases"):
        assert decision in guide, decision
    assert (ROOT / "docs" / "translation-style" / "en.md").is_file()
