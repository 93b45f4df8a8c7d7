"""Screenshots of the key-points window over a realistic data set, in a light and a dark palette
and at twice the pixel density, saved under tests/artifacts/latest/ (not tracked) for a person to
look at; the curated pictures in tests/artifacts/ are copied from there by hand. The checks here
catch a blank, unthemed or blurry window; the pictures catch the rest.

``python -m tests.gui.test_window_screens OUT.png`` takes the high-density picture in a process of
its own (Qt's scale factor is fixed when the application starts)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.gui.window_data import HARBOUR, NOW, SKY, SOURCES, fill
from tests.support.store import add_items
from widget.core.models import FetchState, Item, SourceStatus
from widget.gui.window.window import KeyPointsWindow
from widget.storage.db import Database

CRANE = Item(
    "harbour-4",
    "Harbour crane back in service after a week of repairs",
    "https://example.test/harbour-4",
    published=NOW - timedelta(minutes=1),
    key_points=("Container ships can dock again from tonight", "Night shifts resume on Friday"),
)
ROOT = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts" / "latest"

LIGHT = {
    QPalette.ColorRole.Window: "#f3f3f3",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.Text: "#1d1d1f",
    QPalette.ColorRole.WindowText: "#1d1d1f",
    QPalette.ColorRole.Button: "#e9e9e9",
    QPalette.ColorRole.ButtonText: "#1d1d1f",
    QPalette.ColorRole.Highlight: "#2f6fdb",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Mid: "#b8b8b8",
    QPalette.ColorRole.PlaceholderText: "#7a7a7a",
}
DARK = {
    QPalette.ColorRole.Window: "#232427",
    QPalette.ColorRole.Base: "#1b1c1f",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Button: "#2d2e32",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#4f8df5",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Mid: "#55565a",
    QPalette.ColorRole.PlaceholderText: "#9a9a9a",
}


def palette(colours: dict[QPalette.ColorRole, str]) -> QPalette:
    pal = QPalette()
    for role, colour in colours.items():
        pal.setColor(role, QColor(colour))
    return pal


def lightness(image: QImage, x0: int, y0: int, x1: int, y1: int) -> float:
    """Median lightness of a region (the background, whatever text sits on it)."""
    values = sorted(
        QColor(image.pixel(x, y)).lightness() for x in range(x0, x1, 7) for y in range(y0, y1, 7)
    )
    return values[len(values) // 2]


def build_window(
    folder: Path, colours: dict[QPalette.ColorRole, str]
) -> tuple[KeyPointsWindow, Database]:
    """The window over the data set, shown at its default size with one source failing.
    Stored three hours ago and looked at 20 minutes ago; one entry arrived since."""
    path = folder / "entries.sqlite3"
    settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
    settings.setValue("window/last_looked", (NOW - timedelta(minutes=20)).isoformat())
    with Database.open(path) as db:
        fill(db, now=NOW - timedelta(hours=3))
        add_items(db, HARBOUR, [CRANE], now=NOW)
        for key in (("harbour", "harbour-2"), ("sky", "sky-2"), ("harbour", "harbour-3")):
            db.set_read(*key)
    reader = Database.open(path, readonly=True)
    window = KeyPointsWindow(reader, settings=settings, clock=lambda: NOW + timedelta(minutes=1))
    window.setPalette(palette(colours))
    window.set_statuses(
        [
            SourceStatus(
                s,
                FetchState(s.id, error_count=2, last_error="the server answered 503")
                if s.id == SKY.id
                else FetchState(s.id),
            )
            for s in SOURCES
        ]
    )
    window.set_last_update(NOW - timedelta(minutes=1))
    window.show()
    window.resize(420, 560)
    window.select_key(("sky", "sky-1"))
    window.view.scrollToTop()
    return window, reader


@pytest.mark.parametrize(("name", "colours"), [("light", LIGHT), ("dark", DARK)])
def test_window_screenshot(
    qtbot: QtBot,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    name: str,
    colours: dict[QPalette.ColorRole, str],
) -> None:
    window, reader = build_window(tmp_path, colours)
    qtbot.addWidget(window)
    request.addfinalizer(reader.close)
    qtbot.waitExposed(window)
    qtbot.wait(50)
    image = window.grab().toImage()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(str(ARTIFACTS / f"window-{name}.png"))

    assert image.width() >= 400 and image.height() >= 500
    list_top = window.view.mapTo(window, window.view.rect().topLeft())
    bg = lightness(
        image, list_top.x() + 4, list_top.y() + 4, list_top.x() + 300, list_top.y() + 300
    )
    if name == "dark":
        assert bg < 80
    else:
        assert bg > 200
    # Text is painted: some pixels differ strongly from the background.
    contrast = [
        abs(QColor(image.pixel(x, y)).lightness() - bg)
        for x in range(list_top.x() + 20, list_top.x() + 300, 2)
        for y in range(list_top.y() + 20, list_top.y() + 60, 2)
    ]
    assert max(contrast) > 120
    texts = [window.model.index(r).data() for r in range(window.model.rowCount())]
    assert "New since you last looked" in texts


def test_window_screenshot_at_twice_the_pixel_density(tmp_path: Path) -> None:
    """Under QT_SCALE_FACTOR=2 the window is drawn with twice the pixels, not scaled up."""
    out = ARTIFACTS / "window-hidpi.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": "offscreen"}
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tests.gui.test_window_screens", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (840, 1120)
    # Crisp, not upscaled: text edges change colour between neighbouring device pixels, which
    # an image scaled up 2x from 420 px would never do at every even/odd pair.
    rows = range(120, 400, 3)
    odd_steps = sum(
        1
        for y in rows
        for x in range(40, 600, 2)
        if abs(QColor(image.pixel(x, y)).lightness() - QColor(image.pixel(x + 1, y)).lightness())
        > 60
    )
    assert odd_steps > 50


def _shoot_hidpi(out: Path) -> int:
    import tempfile

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        window, reader = build_window(Path(folder), LIGHT)
        for _ in range(20):
            app.processEvents()
        ratio = window.devicePixelRatioF()
        image = window.grab().toImage()
        window.close()
        window.deleteLater()
        app.processEvents()
        reader.close()
    if ratio != 2.0:
        print(f"expected a pixel ratio of 2, got {ratio}", file=sys.stderr)
        return 1
    return 0 if image.save(str(out)) else 1


if __name__ == "__main__":
    sys.exit(_shoot_hidpi(Path(sys.argv[1])))
