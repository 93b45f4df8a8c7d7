"""Render the app icon's PNG sizes (and the Windows .ico / macOS .icns) from its SVG.

    python packaging/render_icons.py          # writes resources/icons/
    python packaging/render_icons.py --check  # exit 1 when a file is missing or out of date

The PNGs are committed so that installing never needs Qt at build time; the test suite checks
they still match the SVG. Qt's own SVG renderer draws them (the same one the app uses).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "live-updates.svg"
OUT = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
STEM = "live-updates"


def render(svg: bytes, size: int) -> QImage:
    """A square, transparent ``size`` px image of the SVG."""
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise ValueError(f"{SVG} is not valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
    finally:
        painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def encode(image: QImage, fmt: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, fmt):
        raise RuntimeError(f"Qt cannot write {fmt} images (missing image-format plugin?)")
    buffer.close()
    return bytes(data.data())


def wanted_files(svg: bytes) -> dict[Path, bytes]:
    """Every output file and the bytes it should hold."""
    files = {OUT / f"{STEM}-{size}.png": encode(render(svg, size), "PNG") for size in SIZES}
    files[OUT / f"{STEM}.ico"] = encode(render(svg, 256), "ICO")
    files[OUT / f"{STEM}.icns"] = encode(render(svg, 512), "ICNS")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale or missing files")
    args = parser.parse_args(argv)
    files = wanted_files(SVG.read_bytes())
    stale = [p for p, data in files.items() if not p.exists() or p.read_bytes() != data]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for path in stale:
        path.write_bytes(files[path])
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
