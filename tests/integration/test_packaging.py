"""Packaging and desktop integration: the launcher entry and metainfo validate, one app id is used
everywhere, the icons are installed and removed, and `pip install` gives a working command."""

from __future__ import annotations

import configparser
import os
import plistlib
import shutil
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

import widget
from tests.support.server import LoopbackServer
from widget import APP_ID, APP_SLUG, __version__
from widget.desktop.autostart import desktop_entry
from widget.paths import AppPaths

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"
DESKTOP_FILE = f"{APP_ID}.desktop"  # the names the desktop looks the app up by
METAINFO_FILE = f"{APP_ID}.metainfo.xml"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _tool(name: str) -> str:
    """A validator's path. tests/run.sh installs them and sets LIVE_UPDATES_REQUIRE_TOOLS, so
    there (and in CI) a missing one fails; a bare pytest run skips and says what is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (tests/run.sh installs it)"
        if os.environ.get("LIVE_UPDATES_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def _desktop(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment, method-assign]
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def _validate_desktop(path: Path) -> None:
    done = subprocess.run(
        [_tool("desktop-file-validate"), str(path)], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


# --- the launcher entry and AppStream metainfo ------------------------------------------------


def test_desktop_file_is_named_by_the_app_id_and_validates() -> None:
    path = LINUX / DESKTOP_FILE
    _validate_desktop(path)
    entry = _desktop(path)
    assert entry["Name"] == widget.APP_NAME
    assert entry["Exec"] == APP_SLUG  # the console script pip and pipx put on PATH
    assert entry["Icon"] == APP_ID  # the hicolor icon install.sh puts in place
    assert entry["Terminal"] == "false"


def test_metainfo_validates_and_names_the_same_app() -> None:
    path = LINUX / METAINFO_FILE
    done = subprocess.run(
        [_tool("appstreamcli"), "validate", "--no-net", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    root = ET.parse(path).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP_FILE
    assert root.findtext("provides/binary") == APP_SLUG
    assert next(r.get("version") for r in root.iter("release")) == __version__


def test_the_autostart_entry_validates_and_is_named_by_the_app_id(home: Path) -> None:
    from widget.desktop.autostart import xdg_autostart_path

    path = xdg_autostart_path()
    assert path.name == DESKTOP_FILE
    path.parent.mkdir(parents=True)
    path.write_text(desktop_entry(["/opt/live updates/live-updates"]), encoding="utf-8")
    _validate_desktop(path)
    assert _desktop(path)["Icon"] == APP_ID  # the launcher entry's icon, not a stray name


def test_macos_bundle_lives_in_the_menu_bar_under_the_app_id() -> None:
    with open(ROOT / "packaging" / "macos" / "Info.plist", "rb") as f:
        info = plistlib.load(f)
    assert info["LSUIElement"] is True
    assert info["CFBundleIdentifier"] == APP_ID
    assert info["CFBundleShortVersionString"] == __version__


def test_windows_installer_uses_the_app_id_and_version() -> None:
    text = (ROOT / "packaging" / "windows" / "live-updates.iss").read_text(encoding="utf-8")
    assert f'#define AppId "{APP_ID}"' in text
    assert f'#define AppVersion "{__version__}"' in text
    assert "AppUserModelID: {#AppId}" in text  # the Start menu shortcut matches the process id


# --- icons ----------------------------------------------------------------------------------


def _render(svg: bytes, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(QByteArray(svg)).render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def _max_channel_difference(a: QImage, b: QImage) -> int:
    worst = 0
    for y in range(a.height()):
        for x in range(a.width()):
            ca, cb = a.pixelColor(x, y), b.pixelColor(x, y)
            worst = max(
                worst,
                abs(ca.red() - cb.red()),
                abs(ca.green() - cb.green()),
                abs(ca.blue() - cb.blue()),
                abs(ca.alpha() - cb.alpha()),
            )
    return worst


@pytest.mark.parametrize("size", [16, 48, 128])
def test_packaged_png_icons_are_the_svg_at_each_size(size: int) -> None:
    """The PNGs ship with the package and still match the SVG (re-render them with
    packaging/render_icons.py after changing it)."""
    resources = files("widget.resources")
    svg = (resources / "live-updates.svg").read_bytes()
    png = QImage.fromData((resources / "icons" / f"live-updates-{size}.png").read_bytes())
    assert (png.width(), png.height()) == (size, size)
    assert (
        _max_channel_difference(
            png.convertToFormat(QImage.Format.Format_ARGB32), _render(svg, size)
        )
        <= 8
    )


def test_every_icon_size_and_the_windows_and_macos_icons_load() -> None:
    icons = files("widget.resources") / "icons"
    for size in ICON_SIZES:
        image = QImage.fromData((icons / f"live-updates-{size}.png").read_bytes())
        assert (image.width(), image.height()) == (size, size)
    ico = QImage.fromData((icons / "live-updates.ico").read_bytes(), "ICO")  # type: ignore[arg-type]
    icns = QImage.fromData((icons / "live-updates.icns").read_bytes(), "ICNS")  # type: ignore[arg-type]
    assert ico.width() == 256 and icns.width() == 512


# --- install.sh: the launcher entry and icons for the current user ----------------------------


def test_install_script_adds_and_removes_the_launcher_entry(home: Path) -> None:
    bin_dir = home / "bin with space"
    bin_dir.mkdir()
    command = bin_dir / APP_SLUG
    command.write_text("#!/bin/sh\necho live-updates test\n", encoding="utf-8")
    command.chmod(0o755)
    env = {**os.environ, "HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    settings = AppPaths.default().config_file
    settings.parent.mkdir(parents=True)
    settings.write_text('{"keep": "me"}', encoding="utf-8")
    script = ROOT / "packaging" / "linux" / "install.sh"

    done = subprocess.run(
        ["bash", str(script), "--desktop"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    data = home / "data"
    desktop = data / "applications" / DESKTOP_FILE
    _validate_desktop(desktop)
    assert _desktop(desktop)["Exec"] == f'"{command}"'  # the full path, quoted for the space
    assert _desktop(desktop)["Icon"] == APP_ID
    for size in ICON_SIZES:
        icon = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert QImage(str(icon)).width() == size
    assert (data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").exists()
    assert (data / "metainfo" / METAINFO_FILE).exists()

    done = subprocess.run(
        ["bash", str(script), "--uninstall"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    left = [p for p in data.rglob("*") if p.is_file() and APP_ID in p.name]
    assert left == []
    assert settings.read_text(encoding="utf-8") == '{"keep": "me"}'


def test_install_script_desktop_needs_the_command_on_path(home: Path) -> None:
    env = {**os.environ, "HOME": str(home), "PATH": "/usr/bin:/bin"}
    script = ROOT / "packaging" / "linux" / "install.sh"
    done = subprocess.run(
        ["bash", str(script), "--desktop"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "no live-updates command on PATH" in done.stderr
    assert not (home / "data" / "applications").exists()


# --- pip install . --------------------------------------------------------------------------


def test_pip_install_puts_a_working_command_on_path(tmp_path: Path, home: Path) -> None:
    """Install a copy of the checkout into a fresh venv (no build isolation, no network: the
    dependencies come from the test interpreter's site-packages) and run the commands."""
    try:
        import setuptools.command.bdist_wheel  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        pytest.skip("setuptools>=70.1 is needed to build the wheel offline (tests/run.sh has it)")
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("widget", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", wheels, src],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    bin_dir = venv / "bin"
    install = subprocess.run(
        [*pip, "--python", bin_dir / "python", "install", "--no-deps", "--no-index", wheel],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    site = Path(
        subprocess.run(
            [bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # The dependencies (PySide6, httpx, …) from the test environment, after the venv's own.
    (site / "zz-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")

    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    found = shutil.which(APP_SLUG, path=env["PATH"])
    assert found == str(bin_dir / APP_SLUG)
    assert (bin_dir / f"{APP_SLUG}-gui").exists()  # the windowless entry point
    done = subprocess.run([APP_SLUG, "--version"], env=env, capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, f"{APP_SLUG} {__version__}\n")
    done = subprocess.run([APP_SLUG, "sources", "list"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "No sources yet" in done.stdout

    probe = (
        "import widget, importlib.resources as r; "
        "d = r.files('widget.resources'); "
        "print(widget.__file__); "
        "print(len((d / 'live-updates.svg').read_bytes()) > 0, "
        "(d / 'icons' / 'live-updates-512.png').is_file(), (d / 'tray-idle-dark.svg').is_file())"
    )
    done = subprocess.run(
        [bin_dir / "python", "-c", probe], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    where, found_files = done.stdout.splitlines()
    assert Path(where).is_relative_to(venv), "the installed copy is used, not the checkout"
    assert found_files == "True True True"


# --- the log --------------------------------------------------------------------------------


def test_a_token_in_a_source_url_never_reaches_the_log(home: Path, server: LoopbackServer) -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour watch</title>'
        "<item><guid>h1</guid><title>Ferry resumes after the storm</title></item>"
        "</channel></rss>"
    )
    url = server.route("/private.xml", feed, content_type="application/rss+xml")
    secret = "Zq9TokenValue4417"
    env = {**os.environ, "XDG_STATE_HOME": str(home / "state")}
    for args in (["sources", "add", f"{url}?access_token={secret}"], ["-v", "check"]):
        done = subprocess.run(
            [sys.executable, "-m", "widget", *args], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        assert secret not in done.stderr
    log_text = AppPaths.default().log_file.read_text(encoding="utf-8")
    assert "/private.xml?access_token=***" in log_text  # the request is logged, masked
    assert secret not in log_text
