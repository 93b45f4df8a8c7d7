"""Tray icons: every state renders crisp at each size on light and dark panels, with a badge."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage

from widget.gui.icons import (
    ICON_SIZES,
    TrayState,
    app_icon,
    badge_text,
    paint_badge,
    render_svg,
    resource_bytes,
    tray_icon,
    tray_svg_name,
)


def _opaque_pixels(image: QImage) -> list[QColor]:
    return [
        image.pixelColor(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 200
    ]


@pytest.mark.parametrize("state", list(TrayState))
@pytest.mark.parametrize("dark", [False, True])
def test_every_state_draws_at_every_size(qapp: object, state: TrayState, dark: bool) -> None:
    icon = tray_icon(state, dark_panel=dark)
    for size in ICON_SIZES:
        pixmap = icon.pixmap(size, size)
        assert (pixmap.width(), pixmap.height()) == (size, size)
        assert _opaque_pixels(pixmap.toImage()), f"{state} at {size}px is blank"


def test_dark_panel_variant_is_light_and_light_panel_variant_is_dark(qapp: object) -> None:
    def mean_lightness(dark: bool) -> float:
        image = render_svg(resource_bytes(tray_svg_name(TrayState.IDLE, dark)), 32).toImage()
        pixels = _opaque_pixels(image)
        return sum(c.lightness() for c in pixels) / len(pixels)

    assert mean_lightness(dark=True) > 180
    assert mean_lightness(dark=False) < 80


def test_states_look_different(qapp: object) -> None:
    images = {
        s: render_svg(resource_bytes(tray_svg_name(s, False)), 24).toImage() for s in TrayState
    }
    assert len({bytes(img.bits()) for img in images.values()}) == len(TrayState)


def test_badge_is_painted_in_the_top_right_corner(qapp: object) -> None:
    plain = render_svg(resource_bytes(tray_svg_name(TrayState.UNREAD, False)), 32)
    badged = paint_badge(plain, 7).toImage()
    corner = badged.pixelColor(28, 4)
    assert corner.red() > 180 and corner.green() < 80, corner.name()
    assert paint_badge(plain, 0).toImage() == plain.toImage()


def test_badge_text_stays_short() -> None:
    assert badge_text(5) == "5"
    assert badge_text(99) == "99"
    assert badge_text(1234) == "99+"


def test_hidpi_pixmaps_are_rendered_at_device_resolution(qapp: object) -> None:
    pixmap = render_svg(resource_bytes(tray_svg_name(TrayState.IDLE, False)), 16, scale=2.0)
    assert pixmap.width() == 32
    assert pixmap.devicePixelRatio() == 2.0


@pytest.mark.parametrize("side", [16, 48, 256])
def test_app_icon_is_drawn_at_small_and_large_sizes(qapp: object, side: int) -> None:
    image = app_icon().pixmap(side, side).toImage()
    assert (image.width(), image.height()) == (side, side)
    # drawn, not blank: the middle of the icon is opaque and its corner is not
    assert image.pixelColor(side // 2, side // 2).alpha() > 0
    assert image.pixelColor(0, 0).alpha() < 255
