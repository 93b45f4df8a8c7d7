"""The tray app's memory helpers (``widget.gui.memory``, Qt-free): free heap pages go back to
the system after a big poll, and cached module sources are dropped."""

from __future__ import annotations

import linecache
import platform
import sys

import pytest

from widget.gui import memory

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not GLIBC, reason="malloc_trim is glibc's")
def test_trim_hands_the_pages_of_a_freed_poll_back_to_the_system() -> None:
    # ~60 MB of bodies of a few KB (malloc'd, not pymalloc), every 50th kept alive so that
    # the freed space sits in the middle of the heap, where free() alone never returns it.
    bodies = [bytes([i % 251]) * 6000 for i in range(10_000)]
    kept = bodies[::50]
    del bodies
    before = _rss_mb()
    assert memory.trim() is True
    after = _rss_mb()
    assert before - after > 30, f"RSS {before:.1f} MB → {after:.1f} MB"
    assert len(kept) == 200 and kept[1][0] == 50


def test_cached_module_sources_are_dropped() -> None:
    assert linecache.getlines(memory.__file__)  # what PySide6's import hook leaves behind
    assert memory.forget_source_lines() >= 1
    assert memory.__file__ not in linecache.cache


def test_glibc_is_recognised_as_the_platform_module_recognises_it() -> None:
    assert memory.is_glibc() is GLIBC
