"""Rules of the code base that a reader relies on."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6")


def _imported_modules(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.slow
def test_core_never_imports_qt():
    offenders = {
        str(path.relative_to(ROOT)): name
        for path in (ROOT / "core").rglob("*.py")
        for name in _imported_modules(path)
        if name.split(".")[0] in QT_MODULES
    }
    assert offenders == {}


@pytest.mark.slow
def test_importing_core_and_cli_loads_no_qt_torch_or_transformers():
    code = (
        "import sys, pkgutil, importlib, core, cli\n"
        "for m in pkgutil.walk_packages(core.__path__, 'core.'): importlib.import_module(m.name)\n"
        "bad = [m for m in ('PySide6', 'torch', 'transformers') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# Widget attributes end in their kind (`scan_button`, `target_spin`, `scan_action`), never begin with it.
HUNGARIAN_ATTRIBUTE = re.compile(
    r"\bself\.(?:btn|chk|spn|cmb|lbl|edt|lst|act|sld|txt|rad|grp|tbl)_\w+|\bself\.menu_(?!button\b)\w+"
)


def test_ui_widget_attributes_use_the_suffix_style():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {match.group(0)}"
        for path in sorted((ROOT / "ui").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for match in HUNGARIAN_ATTRIBUTE.finditer(line)
    ]
    assert offenders == []


def _short_qt_enums(path: Path):
    """`Qt.LeftButton`-style members (an enum member read straight off its owning class)."""
    import enum

    from PySide6 import QtCore, QtGui, QtWidgets

    modules = (QtCore, QtGui, QtWidgets)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id.startswith("Q"):
            owner = next((getattr(m, node.value.id) for m in modules if hasattr(m, node.value.id)), None)
            member = getattr(owner, node.attr, None)
            if isinstance(member, enum.Enum) and type(member).__name__ != node.attr:
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}"


def test_qt_enums_are_fully_qualified():
    paths = sorted([*(ROOT / "ui").rglob("*.py"), *(ROOT / "tests" / "ui").rglob("*.py")])
    assert [hit for path in paths for hit in _short_qt_enums(path)] == []
