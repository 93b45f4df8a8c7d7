"""A lighter answer to PySide6's question about every module imported after it.

PySide6 hooks the import system: for each newly imported module it asks "does this module use
PySide6?" (to know whether ``from __feature__ import ...`` switching applies to it) by calling
``inspect.getsource(module)``, which tokenizes the file and keeps all its lines in ``linecache``.
For the tray app that is a few hundred files and several MB of short-lived strings interleaved
with the module objects that stay, so the interpreter's small-object arenas stay fragmented for
the life of the process. ``install`` answers the same question by looking for the same word in
the file's bytes, read once and let go; anything it cannot read (frozen or built-in modules)
goes to PySide6's own check, as before.

It must run before PySide6 itself is imported (``widget.gui`` does it first thing), and it
changes nothing when the check it replaces is not where it is expected (other PySide6 versions).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from types import ModuleType

log = logging.getLogger(__name__)
_MARK = "_live_updates_light"


def install() -> bool:
    """Replace PySide6's per-module source check; True if it is in place."""
    try:
        import shiboken6  # noqa: F401  (loads the module that holds the check)
    except ImportError:
        return False
    feature = sys.modules.get("shibokensupport.feature")
    original: Callable[[ModuleType], bool] | None = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None or not callable(original):
        log.debug("PySide6's module check not found; leaving it as it is")
        return False
    if getattr(original, _MARK, False):
        return True

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path.endswith(".py"):
            try:
                with open(path, "rb") as f:
                    return b"PySide6" in f.read()
            except OSError:
                pass
        return bool(original(module))

    setattr(uses_pyside, _MARK, True)
    setattr(feature, "_mod_uses_pyside", uses_pyside)  # noqa: B010  (a private attribute)
    return True


__all__ = ["install"]
