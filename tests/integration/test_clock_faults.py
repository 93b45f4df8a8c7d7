"""A wrong system clock never deletes entries: ``live-updates check`` under ``faketime`` (the
whole process sees the shifted clock), against a feed on a loopback server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.feeds import RSS, posts, rss
from tests.support.server import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]


def _cli(*argv: str, shift: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "widget", *argv]
    if shift is not None:
        if shutil.which("faketime") is None:
            pytest.skip("needs faketime (Debian package faketime)")
        command = ["faketime", "-f", shift, *command]
    done = subprocess.run(
        command,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def _stored_titles() -> list[str]:
    lines = _cli("entries", "--json").stdout.splitlines()
    return sorted(json.loads(line)["title"] for line in lines if line.strip())


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (None, "+40d"),  # stored with the right time, then one check 40 days ahead
        ("-400d", None),  # stored 400 days behind, then checked once the clock is right
    ],
)
def test_a_clock_jump_deletes_no_entry_the_feed_still_lists(
    home: Path, server: LoopbackServer, first: str | None, then: str | None
) -> None:
    url = server.route("/feed", rss(posts(3)), content_type=RSS)
    _cli("sources", "add", url, "--name", "Harbour")
    _cli("check", shift=first)
    expected = [f"Ferry timetable change number {n}" for n in (1, 2, 3)]
    assert _stored_titles() == expected
    _cli("check", shift=then)
    assert _stored_titles() == expected
