"""Keeping the tray app's resident memory small while it idles for days between polls.

- glibc keeps the pages of a poll's freed bodies and entries in its heap (one arena per fetch
  thread); ``trim`` hands free heap pages back to the system after a big poll (about 25 MB
  after a cold poll of 200 feeds). It does nothing off glibc. Capping the arenas
  (``M_ARENA_MAX=2``) was measured too: no smaller once trimmed, and polls ran slower.
- PySide6 looks at the source of every module imported after it (``inspect.getsource``, to
  find ``from __feature__`` imports), which leaves the text of hundreds of files in
  ``linecache``; ``forget_source_lines`` drops it (tracebacks read the lines again on demand).
  It is the one answer to that effect (about 2.3 MB of idle RSS in the tray, ``bench.gui``);
  replacing PySide6's private check instead saved more only when patched in before PySide6's
  first import, that is at import time, which the tray app does not do.

Pure Python, no Qt; nothing happens at import.
"""

from __future__ import annotations

import ctypes
import functools
import linecache
import logging
import os
import sys

log = logging.getLogger(__name__)


def is_glibc() -> bool:
    """True when the process runs on glibc. Asked of the C library itself (``confstr``), not
    through ``platform.libc_ver``, which scans the interpreter's binary and keeps the
    ``platform`` module resident."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        version = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError):  # the name is unknown to this C library (musl)
        return False
    return version is not None and version.split()[:1] == ["glibc"]


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc on Linux, else None."""
    if not is_glibc():
        return None
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError as exc:
        log.info("glibc could not be loaded (%s); malloc tuning is off", exc)
        return None
    if not hasattr(libc, "malloc_trim"):
        return None
    return libc


def trim() -> bool:
    """Give free heap pages back to the system (after a big poll); True if glibc released
    any. A no-op off glibc."""
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.malloc_trim(ctypes.c_size_t(0)))


def forget_source_lines() -> int:
    """Drop the module sources PySide6's import hook left in ``linecache``; returns how many
    files were cached."""
    cached = len(linecache.cache)
    linecache.clearcache()
    return cached
