"""gui layer of Live Updates (see DESIGN.md).

Before any GUI module imports PySide6, PySide6's per-module source check is made light
(``pyside_hook``): the tray app keeps every module it imports for days."""

from widget.gui import pyside_hook

pyside_hook.install()
