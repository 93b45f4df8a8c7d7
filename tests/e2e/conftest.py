"""End-to-end fixtures: a private session bus with a real dunst (and Xvfb when there is no
DISPLAY), started for each test and stopped after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.notify_session import NotifySession, missing_tools


@pytest.fixture
def notify_session(tmp_path: Path) -> Iterator[NotifySession]:
    missing = missing_tools()
    if missing:
        pytest.skip(f"needs {', '.join(missing)} installed")
    session = NotifySession(tmp_path)
    try:
        session.start()
        yield session
    finally:
        session.stop()
