"""The rooms stay clean: the engine side never pulls in Qt, importing the package touches no
file, and core/ depends on nothing else of the package.

Imports are checked in a fresh interpreter, since this test process may have imported Qt already.
"""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import widget

PACKAGE_DIR = Path(widget.__file__).parent
QT_FREE_PACKAGES = ("widget.core", "widget.sources", "widget.storage")
QT_FREE_MODULES = ("widget.engine",)


def modules_of(package: str) -> list[str]:
    path = PACKAGE_DIR.joinpath(*package.split(".")[1:])
    found = [package]
    found += [f"{package}.{m.name}" for m in pkgutil.iter_modules([str(path)])]
    return sorted(found)


def engine_side_modules() -> list[str]:
    mods = [m for pkg in QT_FREE_PACKAGES for m in modules_of(pkg)]
    return mods + list(QT_FREE_MODULES)


def run_python(code: str, env: dict[str, str]) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_engine_side_lists_every_room() -> None:
    mods = engine_side_modules()
    # Guards the test itself: an empty or partial list would prove nothing.
    for expected in ("widget.core.models", "widget.sources.http", "widget.storage.db"):
        assert expected in mods
    assert "widget.engine" in mods


def test_engine_side_imports_no_qt(home: Path) -> None:
    code = (
        "import importlib, json, sys\n"
        f"for name in {engine_side_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'))))\n"
    )
    qt_modules = json.loads(run_python(code, dict(os.environ)))
    assert qt_modules == [], f"importing the engine side pulled in {qt_modules}"


def test_importing_the_package_creates_nothing(home: Path) -> None:
    code = (
        "import importlib\n"
        f"for name in ['widget', 'widget.paths', *{engine_side_modules()!r}]:\n"
        "    importlib.import_module(name)\n"
    )
    env = dict(os.environ, HOME=str(home / "fake-home"))
    (home / "fake-home").mkdir()
    before = sorted(p.relative_to(home) for p in home.rglob("*"))
    run_python(code, env)
    after = sorted(p.relative_to(home) for p in home.rglob("*"))
    assert after == before, f"import created {sorted(set(after) - set(before))}"


def imported_widget_modules(source: str, package: str) -> set[str]:
    """Every `widget...` module that `source` (a module of `package`) imports, relative imports
    resolved."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {n for n in names if n == "widget" or n.startswith("widget.")}


def test_core_imports_nothing_else_of_the_package() -> None:
    core_files = sorted((PACKAGE_DIR / "core").glob("*.py"))
    assert core_files
    offenders = {}
    for f in core_files:
        found = imported_widget_modules(f.read_text(encoding="utf-8"), "widget.core")
        outside = sorted(
            m for m in found if m != "widget.core" and not m.startswith("widget.core.")
        )
        if outside:
            offenders[f.name] = outside
    assert offenders == {}, f"widget/core may import only widget.core: {offenders}"


def test_the_import_checker_sees_relative_and_absolute_imports() -> None:
    source = (
        "from ..storage import db\n"
        "from . import models\n"
        "import widget.gui.tray\n"
        "from widget import APP_NAME\n"
        "import json\n"
    )
    found = imported_widget_modules(source, "widget.core")
    assert found == {
        "widget.storage",
        "widget.storage.db",
        "widget.core",
        "widget.core.models",
        "widget.gui.tray",
        "widget",
        "widget.APP_NAME",
    }
