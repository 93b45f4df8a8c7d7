"""A permanent redirect moves a source's stored URL after two consecutive polls, except that a
private source never moves to another origin (scheme, host or port): its secret belongs to the
origin it was entered for. Table-tested on the Recorder with a real store."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from widget.core.models import AuthKind, Config, ParsedSource, Source, SourceKind
from widget.engine.fetching import Outcome
from widget.engine.record import Recorder
from widget.sources.http import FetchResponse
from widget.storage.config import MemoryConfigStore
from widget.storage.db import Database

NOW = datetime(2026, 3, 14, 9, 30, tzinfo=timezone.utc)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "entries.sqlite3")
    yield database
    database.close()


def redirected(source: Source, target: str) -> Outcome:
    response = FetchResponse(200, target, {}, b"", permanent_redirect=target)
    return Outcome(response=response, parsed=ParsedSource(SourceKind.FEED, "Feed", None, ()))


@pytest.mark.parametrize(
    ("url", "target", "auth", "moves"),
    [
        ("https://members.example/feed", "https://members.example/v2/feed", AuthKind.BASIC, True),
        ("https://members.example/feed", "http://members.example/feed", AuthKind.BASIC, False),
        (
            "https://members.example/feed",
            "https://members.example:8443/feed",
            AuthKind.HEADER,
            False,
        ),
        ("https://members.example/feed", "https://cdn.example/feed", AuthKind.BASIC, False),
        ("https://members.example/feed", "https://MEMBERS.example:443/new", AuthKind.BASIC, True),
        ("https://public.example/feed", "https://cdn.example/feed", AuthKind.NONE, True),
        ("http://public.example/feed", "https://public.example/feed", AuthKind.NONE, True),
    ],
)
def test_permanent_redirects_move_only_where_the_secret_may_go(
    tmp_path: Path, db: Database, url: str, target: str, auth: AuthKind, moves: bool
) -> None:
    source = Source(
        "s1",
        "Members",
        url,
        SourceKind.FEED,
        auth=auth,
        username="reader" if auth is AuthKind.BASIC else None,
        auth_header="X-Key" if auth is AuthKind.HEADER else None,
    )
    config = MemoryConfigStore(tmp_path / "config.json", Config(sources=(source,)))
    recorder = Recorder(config, db, lambda: NOW, random.Random(1))
    for _ in range(3):
        recorder.record(config.load(), source, db.get_state(source.id), redirected(source, target))
    stored = config.load().sources[0].url
    assert stored == (target if moves else url)
    note = db.get_state(source.id).last_error
    if moves:
        assert note is None
    else:
        assert note is not None and target in note and "not sent there" in note
