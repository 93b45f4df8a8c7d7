"""Damaged or foreign files: a clear StorageError / ConfigError naming the file, nothing lost."""

from __future__ import annotations

import os
import random
import sqlite3
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.store import add_items
from widget.core.errors import ConfigError, StorageError
from widget.core.models import FetchState, Item, Source, SourceKind
from widget.storage.config import ConfigStore
from widget.storage.db import Database


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def filled_database(path: Path, entries: int = 400) -> None:
    source = Source(id="s1", name="Tide Tables", url="https://example.test/t", kind=SourceKind.FEED)
    items = [
        Item(id=f"tide-{n}", title=f"High water at {n}", url=None, summary="Spring tide. " * 40)
        for n in range(entries)
    ]
    with Database.open(path) as db:
        add_items(db, source, items, now=datetime(2024, 5, 1, tzinfo=timezone.utc), baseline=True)
    # Fold the write-ahead log into the main file, as after a clean shutdown.
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")


@pytest.mark.parametrize("readonly", [False, True])
def test_random_bytes_are_refused_and_left_untouched(tmp_path: Path, readonly: bool) -> None:
    path = tmp_path / "entries.sqlite3"
    path.write_bytes(random.Random(7).randbytes(64 * 1024))
    before = snapshot(tmp_path)
    with pytest.raises(StorageError) as caught:
        Database.open(path, readonly=readonly)
    message = str(caught.value)
    assert str(path) in message
    assert "is not a valid Live Updates database" in message
    assert "left untouched" in message
    assert snapshot(tmp_path) == before


def test_a_truncated_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    filled_database(path)
    size = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(size // 2)
    before = snapshot(tmp_path)
    with pytest.raises(StorageError, match="is not a valid Live Updates database"):
        Database.open(path)
    assert snapshot(tmp_path) == before


def test_an_overwritten_page_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    filled_database(path)
    with path.open("r+b") as f:
        f.seek(4096 * 3)
        f.write(b"\xff" * 4096)
    before = snapshot(tmp_path)
    with pytest.raises(StorageError, match="is not a valid Live Updates database"):
        Database.open(path)
    assert snapshot(tmp_path) == before


def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    path.touch()
    with Database.open(path) as db:
        assert db.entries() == []


def test_another_applications_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "photos.sqlite3"
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE albums (name TEXT)")
        conn.execute("INSERT INTO albums VALUES ('Summer')")
    before = snapshot(tmp_path)
    with pytest.raises(StorageError, match="another application"):
        Database.open(path)
    assert snapshot(tmp_path) == before


def test_a_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    Database.open(path).close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA user_version = 999")
    with pytest.raises(StorageError, match="newer version of Live Updates"):
        Database.open(path)


def test_a_database_that_stays_locked_gives_a_busy_error(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    with Database.open(path, busy_timeout=0.05) as db:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StorageError, match="busy"):
                db.save_state(FetchState("s1", etag="x"))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        db.save_state(FetchState("s1", etag="x"))
        assert db.get_state("s1").etag == "x"


def test_corrupt_config_is_backed_up_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    damaged = b'{"version": 1, "sources": [{"name": "Tide Tables",\n'
    path.write_bytes(damaged)
    with pytest.raises(ConfigError) as caught:
        ConfigStore(path).load()
    backups = sorted(tmp_path.glob("config.json.corrupt-*"))
    assert len(backups) == 1
    assert backups[0].read_bytes() == damaged
    assert path.read_bytes() == damaged  # never replaced
    message = str(caught.value)
    assert str(path) in message and str(backups[0]) in message
    assert "line 2" in message
    # Loading again does not pile up identical backups.
    with pytest.raises(ConfigError):
        ConfigStore(path).load()
    assert sorted(tmp_path.glob("config.json.corrupt-*")) == backups


def test_config_that_is_not_utf8_is_backed_up(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_bytes(b'{"version": 1, "sources": [], "x": "\xff\xfe"}')
    with pytest.raises(ConfigError, match="backup"):
        ConfigStore(path).load()
    assert len(list(tmp_path.glob("config.json.corrupt-*"))) == 1


def test_saving_over_a_corrupt_config_through_update_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError):
        ConfigStore(path).update(lambda config: config)
    assert path.read_text(encoding="utf-8") == "{not json"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_unreadable_config_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(ConfigError, match=r"config\.json"):
        ConfigStore(path).load()
