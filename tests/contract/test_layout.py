"""The layout stays readable: tests mirror the packages, packages say what they own, no giant modules.

(The import direction between packages is checked by import-linter in `make lint`.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("coach", "escalation", "bot")
MODULE_LIMIT = 600
# tests/unit/<room>/... mirrors this code folder
ROOMS = {"core": "coach/core", "programme": "coach/programme", "messaging": "coach/messaging", "app": "coach/app",
         "cli": "coach/cli", "web": "coach/web", "escalation": "escalation", "bot": "bot", "fakes": "tests/fakes"}


def code_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_no_module_is_over_600_lines():
    big = {str(p.relative_to(ROOT)): n for p in code_files() if (n := len(p.read_text().splitlines())) > MODULE_LIMIT}
    assert big == {}, "split these modules by concern"


def test_every_package_says_what_it_owns():
    for package in PACKAGES:
        for init in (ROOT / package).rglob("__init__.py"):
            if "migrations" in init.parts:
                continue
            doc = ast.get_docstring(ast.parse(init.read_text()))
            assert doc and len(doc) > 30, f"{init.relative_to(ROOT)} needs a docstring saying what the package owns"


def test_layers_say_what_they_may_import():
    for package in ("coach/core", "coach/programme", "coach/messaging", "coach/app", "coach/web", "escalation", "bot"):
        doc = ast.get_docstring(ast.parse((ROOT / package / "__init__.py").read_text())) or ""
        assert "May import" in doc, f"{package}/__init__.py should say what it may import"


def unit_tests():
    return sorted(p for p in (ROOT / "tests" / "unit").rglob("test_*.py"))


@pytest.mark.parametrize("test_file", unit_tests(), ids=lambda p: str(p.relative_to(ROOT / "tests" / "unit")))
def test_unit_tests_mirror_the_modules(test_file):
    """tests/unit/<room>/<subpackage>/test_<module>[_<aspect>].py tests <code>/<subpackage>/<module>.py."""
    parts = test_file.relative_to(ROOT / "tests" / "unit").parts
    assert parts[0] in ROOMS, f"tests/unit/{parts[0]}/ is not one of {sorted(ROOMS)}"
    folder = ROOT / ROOMS[parts[0]] / Path(*parts[1:-1])
    assert folder.is_dir(), f"{test_file.relative_to(ROOT)}: no code folder {folder.relative_to(ROOT)}"
    stem = test_file.stem[len("test_"):]
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in folder.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert any(stem == m or stem.startswith(m + "_") for m in modules), (
        f"{test_file.relative_to(ROOT)} should be named after a module in {folder.relative_to(ROOT)}: "
        f"{', '.join(sorted(modules))}")
