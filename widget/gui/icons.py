"""Tray and app icons rendered from the SVGs in ``resources/``: crisp at every size, one variant
for light panels and one for dark panels, with an unread-count badge painted on top."""

from __future__ import annotations

import enum
import os
from importlib.resources import files
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

ICON_SIZES = (16, 20, 22, 24, 32, 48)
APP_ICON = "live-updates.svg"


class TrayState(str, enum.Enum):
    """What the tray icon says at a glance."""

    IDLE = "idle"  # all good, nothing unread
    UNREAD = "unread"  # unread entries (with a count badge)
    PAUSED = "paused"  # updates paused or do-not-disturb
    ERROR = "error"  # some sources are failing


def resource_bytes(name: str) -> bytes:
    """The bytes of a file shipped in ``widget.resources``."""
    return (files("widget.resources") / name).read_bytes()


def panel_is_dark(palette: QPalette | None = None) -> bool:
    """True when the panel (approximated by the window palette) is dark."""
    pal = palette if palette is not None else QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def tray_svg_name(state: TrayState, dark_panel: bool) -> str:
    return f"tray-{state.value}-{'dark' if dark_panel else 'light'}.svg"


def render_svg(data: bytes, size: int, *, scale: float = 1.0) -> QPixmap:
    """A square pixmap of ``size`` logical pixels drawn from SVG data (transparent background)."""
    renderer = QSvgRenderer(QByteArray(data))
    if not renderer.isValid():
        raise ValueError("the icon is not valid SVG")
    device = max(1, round(size * scale))
    pixmap = QPixmap(device, device)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, device, device))
    finally:
        painter.end()
    pixmap.setDevicePixelRatio(scale)
    return pixmap


def badge_text(count: int) -> str:
    """What the badge shows: the count, capped so it stays legible."""
    return "99+" if count > 99 else str(count)


def paint_badge(pixmap: QPixmap, count: int) -> QPixmap:
    """A copy of ``pixmap`` with a red count badge in its top-right corner (nothing if ≤ 0)."""
    if count <= 0:
        return pixmap
    out = pixmap.copy()
    ratio = out.devicePixelRatio()
    side = out.width() / ratio
    text = badge_text(count)
    height = max(8.0, side * 0.56)
    width = max(height, height * (0.45 + 0.3 * len(text)))
    width = min(width, side)
    rect = QRectF(side - width, 0, width, height)
    painter = QPainter(out)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setPen(QColor("#ffffff"))
        painter.setBrush(QColor("#e01b24"))
        painter.drawRoundedRect(rect, height / 2, height / 2)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, round(height * (0.78 if len(text) == 1 else 0.66))))
        painter.setFont(font)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.end()
    return out


def tray_icon(
    state: TrayState, *, unread: int = 0, dark_panel: bool | None = None, scale: float = 1.0
) -> QIcon:
    """The tray icon for ``state``: pixmaps at 16–48 px, the badge drawn when ``unread`` > 0."""
    dark = panel_is_dark() if dark_panel is None else dark_panel
    data = resource_bytes(tray_svg_name(state, dark))
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addPixmap(paint_badge(render_svg(data, size, scale=scale), unread))
    return icon


def app_icon() -> QIcon:
    """The application's own icon (window, notifications, about). Drawn from its SVG file by
    Qt's SVG icon engine at each size asked for, nothing rendered up front; pixmaps rendered
    here when the file is not on disk or that engine is missing."""
    resource = files("widget.resources") / APP_ICON
    if isinstance(resource, Path) and resource.is_file():
        scalable = QIcon(str(resource))
        if not scalable.pixmap(16, 16).isNull():
            return scalable
    data = resource_bytes(APP_ICON)
    icon = QIcon()
    for size in (*ICON_SIZES, 64, 128, 256):
        icon.addPixmap(render_svg(data, size))
    return icon


NOTIFICATION_ICON_SIZES = (256, 128, 64, 48)  # the largest installed PNG wins
NOTIFICATION_ICON_FILE = "notification-icon-128.png"


def _data_dirs() -> tuple[Path, list[Path]]:
    home = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    system = os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share"
    return Path(home), [Path(d) for d in system.split(":") if d]


def _installed_pngs(data_dir: Path, name: str) -> list[Path]:
    return [
        data_dir / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{name}.png"
        for size in NOTIFICATION_ICON_SIZES
    ]


def notification_icon_file(cache_dir: Path, name: str) -> Path | None:
    """An absolute PNG path for notification daemons that cannot find the icon ``name``
    themselves (dunst searches the system's icon folders, not ``~/.local/share/icons``): None
    when a system icon folder holds it; else the installed PNG in the user's data folder, else
    one rendered from the app's SVG into ``cache_dir``."""
    home, system = _data_dirs()
    for data_dir in system:
        hicolor = data_dir / "icons" / "hicolor"
        if (
            any(p.is_file() for p in _installed_pngs(data_dir, name))
            or (hicolor / "scalable" / "apps" / f"{name}.svg").is_file()
        ):
            return None
    for png in _installed_pngs(home, name):
        if png.is_file():
            return png.absolute()
    target = cache_dir / NOTIFICATION_ICON_FILE
    if not target.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        pixmap = render_svg(resource_bytes(APP_ICON), 128)
        partial = target.with_suffix(".tmp.png")
        if not pixmap.save(str(partial), "PNG"):
            return None
        partial.replace(target)
    return target.absolute()
