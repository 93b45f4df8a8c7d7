"""Hostile live pages through ``check --json``: handled, bounded, and finished.

Each page from ``tests/fixtures/livepages/hostile.py`` is served from loopback. When
``sources add`` accepts it, the source is added that way; when it refuses it, the refusal must be
one clear line, and the page is then put into the config as a live page directly, so that
``check`` still has to parse it. ``check`` must either store the page's entries (at most 500 per
document, the page's own entry included) or fail with one clear line naming the source — never a
traceback. No timing is asserted: the test run's own deadline is what catches a hang.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.livepages import hostile
from tests.support.feeds import json_lines, run_cli
from tests.support.server import LoopbackServer
from widget.paths import AppPaths

MAX_ENTRIES = 500  # entries kept from one document
NAME = "Hostile page"

Capsys = pytest.CaptureFixture[str]


def _put_in_config(url: str) -> None:
    from widget.core.models import Config, Source, SourceKind
    from widget.storage.config import ConfigStore

    source = Source(id="hostile", name=NAME, url=url, kind=SourceKind.LIVE_PAGE)
    ConfigStore(AppPaths.default().config_file).save(Config(sources=(source,)))


def _one_clear_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and bool(err.strip())


@pytest.mark.parametrize("build", list(hostile.BUILDERS.values()), ids=list(hostile.BUILDERS))
def test_hostile_page_is_handled_and_bounded(
    build: Callable[[], bytes], home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    body = build()
    assert len(body) < hostile.LIMIT
    url = server.route("/hostile", body, content_type="text/html; charset=utf-8")

    code, _out, err = run_cli(capsys, "sources", "add", url, "--name", NAME)
    if code != 0:
        assert code == 1 and _one_clear_line(err), f"sources add: status {code}, stderr {err!r}"
        _put_in_config(url)

    code, out, err = run_cli(capsys, "check", "--json")
    assert code in (0, 1), f"check: status {code}, stderr {err!r}"
    if code == 1:
        assert _one_clear_line(err) and NAME in err, err
    else:
        assert err == ""
    printed = json_lines(out)
    assert len(printed) <= MAX_ENTRIES

    code, out, err = run_cli(capsys, "entries", "--json", "--limit", "100000", "--source", NAME)
    assert code == 0, err
    stored = json_lines(out)
    assert len(stored) <= MAX_ENTRIES, f"{len(stored)} entries stored from one document"
    assert all(e["title"] for e in stored)


def test_hostile_builders_are_deterministic() -> None:
    for build in hostile.BUILDERS.values():
        assert build() == build()
