"""The update engine, free of Qt: the poll cycle (``poll``), one source's fetch and parse
(``fetching``), parsing in worker processes for big polls (``parsing``) and recording outcomes
in the store (``record``). The tray app and the ``live-updates`` command are its clients."""

from widget.engine.poll import (
    DEADLINE_ENV,
    GONE_REASON,
    MAX_PARALLEL,
    PERMANENT_REDIRECT_POLLS,
    Clock,
    Engine,
    Probe,
    Progress,
)

__all__ = [
    "DEADLINE_ENV",
    "GONE_REASON",
    "MAX_PARALLEL",
    "PERMANENT_REDIRECT_POLLS",
    "Clock",
    "Engine",
    "Probe",
    "Progress",
]
