"""Emitting Qt signals from Python safely.

PySide6 6.12 on Python < 3.12 returns the bool result of ``SignalInstance.emit()`` without a
reference, so every ``emit`` from Python leaks one reference *away* from ``True``; a long-running
app eventually frees ``True`` and crashes ("bool_dealloc"). ``emit`` below gives the reference
back when this PySide6 is affected (detected once, by measuring). Signal-to-signal connections
made with ``connect(other_signal)`` run in C++ and are not affected.
"""

from __future__ import annotations

import ctypes
import sys
import threading

from PySide6.QtCore import QObject, Signal, SignalInstance

_PROBES = 64
_lock = threading.Lock()
_leaks: bool | None = None


class _Probe(QObject):
    ping = Signal()


def _raw_emit(signal: SignalInstance, *args: object) -> object:
    """What ``emit`` returns at run time (a bool; the stubs say None)."""
    emitter = signal.emit
    result: object = emitter(*args)
    return result


def _measure() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    results = [_raw_emit(probe.ping) for _ in range(_PROBES)]
    del results
    lost = before - sys.getrefcount(True)
    leaks = lost >= _PROBES // 2 and sys.implementation.name == "cpython"
    if leaks:
        for _ in range(lost):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return leaks


def emit_leaks_references() -> bool:
    """True when this PySide6 drops a reference on every ``emit`` (measured once)."""
    global _leaks
    with _lock:
        if _leaks is None:
            _leaks = _measure()
        return _leaks


def emit(signal: SignalInstance, *args: object) -> None:
    """``signal.emit(*args)``, without the reference leak of affected PySide6 versions."""
    result = _raw_emit(signal, *args)
    if isinstance(result, bool) and emit_leaks_references():
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
