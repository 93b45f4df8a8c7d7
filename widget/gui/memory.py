"""Keeping the tray app's resident memory small while it idles for days between polls.

- glibc gives every thread that allocates its own malloc arena (up to 8 per core). A poll runs
  on several fetch threads, and each arena keeps the pages of that poll's freed bodies and
  entries. ``limit_arenas`` caps them at two (call it first, before any thread starts);
  ``trim`` hands free heap pages back to the system after a big poll. Both do nothing off glibc.
- PySide6 looks at the source of every module imported after it (``inspect.getsource``, to
  find ``from __feature__`` imports), which leaves the text of hundreds of files in
  ``linecache``; ``forget_source_lines`` drops it (tracebacks read the lines again on demand).

Pure Python, no Qt; nothing happens at import.
"""

from __future__ import annotations

import ctypes
import functools
import linecache
import logging
import os
import platform
import sys

log = logging.getLogger(__name__)

M_ARENA_MAX = -8  # mallopt parameter number in glibc's malloc.h
ARENAS = 2  # the GUI thread and the worker/fetch threads, which take turns under the GIL
ARENA_ENV = "MALLOC_ARENA_MAX"  # a value set by the user wins


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc on Linux, else None."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError as exc:
        log.info("glibc could not be loaded (%s); malloc tuning is off", exc)
        return None
    if not all(hasattr(libc, name) for name in ("mallopt", "malloc_trim")):
        return None
    return libc


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas; True when applied. Call before threads start: arenas made
    earlier stay. Skipped when the user set ``MALLOC_ARENA_MAX`` themselves."""
    if os.environ.get(ARENA_ENV):
        return False
    libc = _glibc()
    if libc is None:
        return False
    if libc.mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(arenas)) != 1:
        log.warning("glibc refused to cap malloc arenas at %d", arenas)
        return False
    return True


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
