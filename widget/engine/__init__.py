"""The update engine, free of Qt: the poll cycle (``poll``), one source's fetch and parse
(``fetching``), secrets read without holding the poll (``credentials``) and recording outcomes
in the store (``record``). The tray app and the ``live-updates`` command are its clients.

The tray app runs each poll in a short-lived child process (``worker``, driven by
``client.ProcessEngine``; their frames are ``protocol``) and reads schedules and statuses
through ``status``; those light modules never import the fetch stack (httpx, feedparser), so
the names below load lazily: ``from widget.engine import Engine`` imports ``poll`` only when
asked.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from widget.engine.poll import (
        DEADLINE_ENV,
        GONE_REASON,
        PERMANENT_REDIRECT_POLLS,
        Clock,
        Engine,
        Probe,
        Progress,
    )

__all__ = [
    "DEADLINE_ENV",
    "GONE_REASON",
    "PERMANENT_REDIRECT_POLLS",
    "Clock",
    "Engine",
    "Probe",
    "Progress",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("widget.engine.poll"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
