"""Ending multiprocessing's resource tracker once a poll's parse workers are gone.

The first worker process a poll starts (``spawn``, on POSIX) also starts multiprocessing's
resource tracker, a helper process of its own (about 13 MB) that otherwise lives as long as the
app. The tracker only has work while the pool's queues exist, so after the last pool has shut
down cleanly (its workers joined and its queues released) it is stopped; the next big poll
starts it again.

Only a tracker that was not running before the first pool started is stopped: one that someone
else in the process started is left alone. Stopping uses ``ResourceTracker._stop`` (Python 3.11.7
and later; without it the tracker simply stays, as before).
"""

from __future__ import annotations

import logging
import threading
import weakref
from multiprocessing import resource_tracker
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_pools = 0  # parse pools alive now
_ours = False  # the running tracker was started by a parse pool
_leftovers: list[weakref.ref[Any]] = []  # queues of pools ended without waiting


def _tracker_running() -> bool:
    return getattr(resource_tracker._resource_tracker, "_fd", None) is not None


def pool_starting() -> None:
    """Call before a parse pool is created."""
    global _pools, _ours
    with _lock:
        if _pools == 0 and not _tracker_running():
            _ours = True
        _pools += 1


def pool_ended(queues: list[weakref.ref[Any]], *, joined: bool) -> bool:
    """Call after a parse pool was shut down; ``queues``: weak references to its
    multiprocessing queues (they hold the tracked semaphores), ``joined``: its workers were
    waited for. True when the tracker was stopped."""
    global _pools, _ours
    with _lock:
        _pools = max(0, _pools - 1)
        _leftovers.extend(queues)
        if not joined:
            return False  # a worker may still run and use the tracker; the next pool ends it
        _leftovers[:] = [ref for ref in _leftovers if ref() is not None]
        if _pools or not _ours or _leftovers or not _tracker_running():
            return False
        stop = getattr(resource_tracker._resource_tracker, "_stop", None)
        if stop is None:
            return False
        try:
            stop()
        except (OSError, RuntimeError) as exc:
            log.warning("multiprocessing's resource tracker could not be stopped (%s)", exc)
            return False
        _ours = False
    log.debug("parse workers done: multiprocessing's resource tracker stopped")
    return True


__all__ = ["pool_ended", "pool_starting"]
