"""Packaging and launchers: declared dependencies match the imports and requirements.txt, the installed
commands start main.main, and the Linux menu entry and Windows shortcuts open the window."""

from __future__ import annotations

import ast
import configparser
import importlib.metadata
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11's tomllib")

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
RUNTIME = [Requirement(line) for line in PROJECT["dependencies"]]
TEST_EXTRA = [Requirement(line) for line in PROJECT["optional-dependencies"]["test"]]
FIRST_PARTY = {"core", "cli", "ui", "tests", "main", "bench"}
# Imported only when present (core/fbank.py asks importlib first); not needed to run Foleycut.
OPTIONAL_IMPORTS = {"torchaudio"}


def _by_name(requirements):
    return {canonicalize_name(req.name): str(req.specifier) for req in requirements}


def _requirements_txt():
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in (line.split("#")[0].strip() for line in lines) if line]


def test_requirements_txt_lists_exactly_what_pyproject_declares():
    declared = _by_name(RUNTIME + TEST_EXTRA)
    listed = _by_name(_requirements_txt())
    only_listed = {name: spec for name, spec in listed.items() if declared.get(name) != spec}
    only_declared = {name: spec for name, spec in declared.items() if listed.get(name) != spec}
    assert not only_listed and not only_declared, (
        f"requirements.txt has {only_listed}, pyproject.toml has {only_declared}: edit pyproject.toml's "
        "dependencies (or its test extra), then copy the same lines into requirements.txt"
    )


def _imported_top_level_names(paths):
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    local_modules = {path.stem for path in paths}
    return names - set(sys.stdlib_module_names) - FIRST_PARTY - local_modules - OPTIONAL_IMPORTS - {"__future__"}


def _undeclared(paths, requirements):
    declared = set(_by_name(requirements))
    distributions = importlib.metadata.packages_distributions()
    return sorted(
        name
        for name in _imported_top_level_names(paths)
        if not declared & {canonicalize_name(dist) for dist in distributions.get(name, [name])}
    )


@pytest.mark.slow
def test_every_import_of_the_application_is_a_declared_dependency():
    code = [ROOT / "main.py", *(path for package in ("core", "cli", "ui") for path in (ROOT / package).rglob("*.py"))]
    assert _undeclared(code, RUNTIME) == [], "add these to pyproject.toml's dependencies and requirements.txt"


def test_every_import_of_the_tests_and_benchmarks_is_declared():
    code = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").glob("*.py")]
    assert _undeclared(code, RUNTIME + TEST_EXTRA) == [], (
        "add these to pyproject.toml's test extra and requirements.txt"
    )


def test_the_console_and_the_gui_script_start_what_main_py_starts():
    assert PROJECT["scripts"] == {"foleycut": "main:main"}
    assert PROJECT["gui-scripts"] == {"foleycut-gui": "main:main"}


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_both_commands(tmp_path):
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("core", "cli", "ui"):
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    for name in ("pyproject.toml", "README.md", "main.py"):
        shutil.copy2(ROOT / name, source / name)
    modules = {path.relative_to(source).as_posix() for path in source.rglob("*.py")}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("foleycut-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = (name for name in names if name.endswith(".dist-info/entry_points.txt"))
        commands = configparser.ConfigParser()
        commands.read_string(archive.read(entry_points).decode())
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
    assert dict(commands["console_scripts"]) == {"foleycut": "main:main"}
    assert dict(commands["gui_scripts"]) == {"foleycut-gui": "main:main"}


def _copy_setup_script(root: Path) -> Path:
    """A checkout in a folder whose path has a space, so the entry's quoting is exercised."""
    root.mkdir(parents=True)
    shutil.copy2(ROOT / "setup_env.sh", root / "setup_env.sh")
    shutil.copytree(ROOT / "assets", root / "assets")
    return root


def _install_desktop_entry(root: Path, env: dict) -> None:
    subprocess.run(
        ["bash", "-c", "source ./setup_env.sh && install_desktop_entry"],
        cwd=root,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", **env},
    )


def _read_entry(path: Path) -> configparser.SectionProxy:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(path, encoding="utf-8")
    return entry["Desktop Entry"]


def _exec_argv(exec_value: str) -> list[str]:
    """The Exec key read back the way a launcher does: string escapes, then quoting (spec: Exec key)."""
    unescaped = exec_value.replace("\\\\", "\\")
    return [
        re.sub(r'\\(["`$\\])', r"\1", quoted or plain).replace("%%", "%")
        for quoted, plain in re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', unescaped)
    ]


def test_the_menu_entry_opens_the_window_through_the_gui_script(tmp_path):
    root = _copy_setup_script(tmp_path / "my apps" / "foleycut")
    data = tmp_path / "data"
    _install_desktop_entry(root, {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(data)})
    entry = _read_entry(data / "applications" / "foleycut.desktop")
    assert _exec_argv(entry["Exec"]) == [str(root / ".venv" / "bin" / "foleycut-gui")]
    assert entry["TryExec"] == str(root / ".venv" / "bin" / "foleycut-gui")
    assert entry["Type"] == "Application" and entry["Name"] == "Foleycut" and entry["Terminal"] == "false"
    assert Path(entry["Icon"]).read_bytes() == (ROOT / "assets" / "foleycut.svg").read_bytes()
    assert Path(entry["Icon"]).is_relative_to(data / "icons")
    assert not (tmp_path / "home").exists(), "with XDG_DATA_HOME set nothing goes under ~/.local/share"


def test_the_menu_entry_goes_to_the_home_data_folder_without_xdg_data_home(tmp_path):
    root = _copy_setup_script(tmp_path / "checkout")
    _install_desktop_entry(root, {"HOME": str(tmp_path / "home")})
    assert (tmp_path / "home" / ".local" / "share" / "applications" / "foleycut.desktop").is_file()


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="apt install desktop-file-utils")
def test_the_menu_entry_passes_desktop_file_validate(tmp_path):
    root = _copy_setup_script(tmp_path / "my apps" / "foleycut")
    _install_desktop_entry(root, {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "data")})
    entry = tmp_path / "data" / "applications" / "foleycut.desktop"
    result = subprocess.run(["desktop-file-validate", str(entry)], check=False, capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def _powershell_assignments(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(\$[\w.]+)\s*=\s*(.+?)\s*$", text, flags=re.MULTILINE))


def test_the_windows_shortcuts_start_the_gui_script_without_a_console():
    text = (ROOT / "setup-windows.ps1").read_text(encoding="utf-8")
    assigned = _powershell_assignments(text)
    gui_script = next(iter(PROJECT["gui-scripts"]))
    # pip makes a gui-script a launcher that runs pythonw: no console window opens with it.
    assert assigned["$gui"] == f'Join-Path $PSScriptRoot ".venv\\Scripts\\{gui_script}.exe"'
    assert assigned["$shortcut.TargetPath"] == "$gui"
    assert assigned["$shortcut.Arguments"] == '""'
    assert assigned["$shortcut.IconLocation"] == '"$icon,0"'
    assert re.search(
        r'foreach \(\$folder in @\(\[Environment\]::GetFolderPath\("Programs"\), '
        r'\[Environment\]::GetFolderPath\("Desktop"\)\)\)',
        text,
    ), "Start menu and desktop"
    assert '$shell.CreateShortcut((Join-Path $folder "Foleycut.lnk"))' in text
    assert "$shortcut.Save()" in text
    assert "python.exe main.py" not in text.split("$shell =")[1], "a console python would open a console"


@pytest.mark.parametrize(
    "script, venv_python", [("setup_env.sh", ".venv/bin/python"), ("setup-windows.ps1", "& $venvPython")]
)
def test_setup_installs_the_project_after_its_requirements_without_resolving_again(script, venv_python):
    text = (ROOT / script).read_text(encoding="utf-8")
    requirements = text.index(f"{venv_python} -m pip install -q -r requirements.txt")
    project = text.index(f"{venv_python} -m pip install -q --no-deps -e .")
    assert requirements < project


def test_the_windows_icon_is_drawn_from_the_svg(tmp_path):
    out = tmp_path / "foleycut.ico"
    subprocess.run([sys.executable, str(ROOT / "assets" / "make_ico.py"), str(out)], check=True, capture_output=True)
    assert out.read_bytes()[:4] == b"\x00\x00\x01\x00"  # ICONDIR: reserved 0, type 1 (icon)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.search(r"Set up and run the whole test suite:\n\n    (.+)\n", readme).group(1)
    ci_lines = {line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()}
    assert {part.strip() for part in command.split("&&")} <= ci_lines
