"""Processes seen from outside, through Linux's /proc: the ones a process started."""

from __future__ import annotations

import os
from pathlib import Path


def child_pids(pid: int | None = None) -> set[int]:
    """The processes that ``pid`` (default: this test process) started and has not reaped yet;
    none once ``pid`` is gone."""
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid if pid is not None else os.getpid()}/task").iterdir():
            found.update(int(child) for child in (task / "children").read_text().split())
    except FileNotFoundError:
        pass
    return found
