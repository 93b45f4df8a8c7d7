"""Per-platform start-up steps that make the OS attribute the app's windows and notifications to
Live Updates, all keyed by the one reverse-DNS id ``widget.APP_ID``.

- Windows: the AppUserModelID, set before any window or toast exists, so toasts, the taskbar and
  the Start menu shortcut (which carries the same id, see packaging/windows) belong together.
- Linux: nothing to do at start-up — Qt's ``setDesktopFileName(APP_ID)`` (gui/app.py) and the
  notification ``desktop-entry`` hint name ``APP_ID.desktop``.
- macOS: the bundle's Info.plist (``LSUIElement``) keeps the app out of the Dock.

No Qt here: this runs before the QApplication is built. Nothing happens at import.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Protocol

from widget import APP_ID

log = logging.getLogger(__name__)


class _Shell32(Protocol):
    """The one function of Windows' shell32.dll used here."""

    def SetCurrentProcessExplicitAppUserModelID(self, app_id: str, /) -> int: ...


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def _windows_shell32() -> _Shell32:
    import ctypes

    windll = getattr(ctypes, "windll", None)
    if windll is None:
        raise OSError("ctypes.windll is missing: not Windows")
    shell32: _Shell32 = windll.shell32
    return shell32


def set_app_user_model_id(
    app_id: str = APP_ID,
    *,
    platform: str | None = None,
    shell32: Callable[[], _Shell32] = _windows_shell32,
) -> bool:
    """On Windows, set this process's AppUserModelID; True when it was set.

    Elsewhere it does nothing and returns False. A failure is logged (toasts then show under
    "Python" instead of the app) and never stops the start-up.
    """
    if (platform or sys.platform) != "win32":
        return False
    try:
        result = shell32().SetCurrentProcessExplicitAppUserModelID(app_id)
    except (OSError, AttributeError) as exc:
        log.warning("could not set the AppUserModelID %s: %s", app_id, exc)
        return False
    if result != 0:  # an HRESULT: 0 is S_OK
        log.warning("could not set the AppUserModelID %s: HRESULT %#x", app_id, result & 0xFFFFFFFF)
        return False
    log.info("AppUserModelID set to %s", app_id)
    return True


def integrate_at_startup(*, platform: str | None = None) -> None:
    """The platform steps above, in order; call before the QApplication exists."""
    plat = platform or sys.platform
    log.info("platform integration for %s (app id %s, frozen=%s)", plat, APP_ID, is_frozen())
    set_app_user_model_id(platform=plat)
