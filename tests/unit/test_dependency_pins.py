"""PySide6 6.12.0 drops a reference to ``True`` on every signal emit from Python (a long-running
tray app then crashes in ``bool_dealloc``). The one fix is the dependency range in pyproject.toml:
it must never admit 6.12.0, and the installed PySide6 must be inside it."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement

tomllib = pytest.importorskip("tomllib")  # Python ≥ 3.11

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def pyside_requirement() -> Requirement:
    data = tomllib.loads(PYPROJECT.read_text())
    [spec] = [r for r in data["project"]["dependencies"] if r.lower().startswith("pyside6")]
    return Requirement(spec)


def test_the_pyside6_range_never_admits_the_release_that_drops_references() -> None:
    requirement = pyside_requirement()
    assert not requirement.specifier.contains("6.12.0", prereleases=True)
    assert requirement.specifier.contains("6.11.0")


def test_the_installed_pyside6_is_inside_the_range() -> None:
    requirement = pyside_requirement()
    assert requirement.specifier.contains(version(requirement.name), prereleases=True)
