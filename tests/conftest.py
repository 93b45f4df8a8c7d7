from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import LoopbackServer
from widget.unattended import ENV, Unattended

# Every test server is one loopback host: tests that are not about pacing requests to one host
# (2 s apart in the product) run them back to back. Pacing tests pass ``host_gap_s`` explicitly.
os.environ.setdefault(ENV, Unattended(host_gap_s=0).as_environment()[ENV])


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    """A real HTTP server on 127.0.0.1, started for the test and stopped after it."""
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every XDG directory (config, data, cache, state) into a fresh temp folder."""
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        d = tmp_path / sub
        d.mkdir()
        monkeypatch.setenv(var, str(d))
    return tmp_path
