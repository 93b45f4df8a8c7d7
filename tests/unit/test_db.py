"""The entry store: new / edited / known / tombstoned entries, order, state, retention, sharing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.store import add_items, notify_all
from widget.core.errors import StorageError
from widget.core.models import Entry, FetchState, Item, Source, SourceKind
from widget.storage.db import Database
from widget.storage.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, split_statements

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def src(sid: str = "s1", name: str = "Harbour Watch") -> Source:
    return Source(id=sid, name=name, url=f"https://example.test/{sid}.xml", kind=SourceKind.FEED)


def item(n: int, **kw: object) -> Item:
    fields: dict[str, object] = {
        "id": f"urn:item:{n}",
        "title": f"Ferry timetable change number {n}",
        "url": f"https://example.test/items/{n}",
        "summary": f"Crossing {n} now leaves at dawn.",
        "key_points": (f"Crossing {n} moved", "Tickets stay valid"),
    }
    fields.update(kw)
    return Item(**fields)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "data" / "entries.sqlite3")
    yield database
    database.close()


def poll(
    db: Database,
    items: list[Item],
    *,
    source: Source | None = None,
    now: datetime = T0,
    baseline: bool = False,
    notify: Callable[[Item], bool] = notify_all,
) -> tuple[list[Entry], int]:
    s = source or src()
    return add_items(
        db,
        s,
        items,
        now=now,
        baseline=baseline,
        notify=notify,
        state=FetchState(s.id, last_checked=now),
    )


def test_open_creates_folder_and_a_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "entries.sqlite3"
    Database.open(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_reopening_keeps_entries(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    with Database.open(path) as first:
        poll(first, [item(1)])
    with Database.open(path) as again:
        assert [e.id for e in again.entries()] == ["urn:item:1"]


def test_baseline_entries_are_stored_silently(db: Database) -> None:
    new, updated = poll(db, [item(1), item(2)], baseline=True)
    assert updated == 0
    assert [e.id for e in new] == ["urn:item:1", "urn:item:2"]
    stored = db.entries()
    assert {e.id for e in stored} == {"urn:item:1", "urn:item:2"}
    assert all(not e.notify and e.baseline for e in stored)
    # What a source already showed when it was added is not news: it does not count as unread.
    assert all(e.read for e in new + stored)
    assert db.unread_count() == 0


def test_new_entries_follow_the_notify_callback_in_given_order(db: Database) -> None:
    poll(db, [item(1)], baseline=True)
    new, _ = poll(db, [item(4), item(3), item(1)], notify=lambda i: i.id.endswith("3"))
    assert [(e.id, e.notify, e.baseline) for e in new] == [
        ("urn:item:4", False, False),
        ("urn:item:3", True, False),
    ]
    entry = db.get_entry("s1", "urn:item:3")
    assert entry is not None and entry.notify


def test_returned_entries_carry_source_name_and_url(db: Database) -> None:
    new, _ = poll(db, [item(1)])
    entry = new[0]
    assert entry.source_name == "Harbour Watch"
    assert entry.source_url == "https://example.test/s1.xml"


def test_edited_entry_is_updated_silently_keeping_read_and_first_seen(db: Database) -> None:
    poll(db, [item(1)])
    db.set_read("s1", "urn:item:1")
    later = T0 + timedelta(hours=1)
    edited = item(1, title="Ferry timetable change (corrected)", key_points=("Now at noon",))
    new, updated = poll(db, [edited], now=later)
    assert (new, updated) == ([], 1)
    entry = db.get_entry("s1", "urn:item:1")
    assert entry is not None
    assert entry.title == "Ferry timetable change (corrected)"
    assert entry.key_points == ("Now at noon",)
    assert entry.read and entry.notify
    assert entry.first_seen == T0


def test_unchanged_entry_is_neither_new_nor_updated(db: Database) -> None:
    poll(db, [item(1)])
    assert poll(db, [item(1)], now=T0 + timedelta(minutes=5)) == ([], 0)


def test_duplicate_ids_in_one_response_first_wins(db: Database) -> None:
    new, _ = poll(db, [item(1, title="First version"), item(1, title="Second version")])
    assert [e.title for e in new] == ["First version"]
    assert [e.title for e in db.entries()] == ["First version"]


def test_state_is_saved_with_the_entries(db: Database) -> None:
    state = FetchState("s1", etag='W/"abc"', body_hash="h1", baseline_done=True)
    add_items(db, src(), [item(1)], now=T0, baseline=True, state=state)
    assert db.get_state("s1") == state


def test_a_failing_notify_callback_stores_nothing(db: Database) -> None:
    def broken(_: Item) -> bool:
        raise RuntimeError("filter blew up")

    with pytest.raises(RuntimeError, match="filter blew up"):
        add_items(db, src(), [item(1)], now=T0, notify=broken, state=FetchState("s1", etag="x"))
    assert db.entries() == []
    assert db.get_state("s1") == FetchState("s1")


def test_every_fetch_state_field_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    plus2 = timezone(timedelta(hours=2))
    state = FetchState(
        source_id="s1",
        etag='"v1"',
        last_modified="Wed, 01 May 2024 10:00:00 GMT",
        body_hash="abc",
        next_due=datetime(2024, 5, 1, 14, 0, tzinfo=plus2),
        error_count=3,
        last_error="HTTP 500 from the server",
        last_checked=T0,
        last_success=T0 - timedelta(hours=1),
        last_new_entry=T0 - timedelta(hours=2),
        retry_after_until=T0 + timedelta(minutes=10),
        disabled_reason="410 Gone: the server says this feed is gone",
        baseline_done=True,
        redirect_url="https://example.test/moved.xml",
        redirect_count=2,
    )
    with Database.open(path) as first:
        first.save_state(state)
    with Database.open(path) as again:
        loaded = again.get_state("s1")
        assert loaded == state
        assert loaded.next_due is not None and loaded.next_due.tzinfo is not None
        assert loaded.next_due.utcoffset() == timedelta(0)
        assert again.all_states() == {"s1": state}


def test_unknown_source_has_a_fresh_state(db: Database) -> None:
    assert db.get_state("nobody") == FetchState("nobody")


def test_newest_first_by_published_then_updated_then_first_seen(db: Database) -> None:
    poll(
        db,
        [
            item(1, published=T0 - timedelta(days=2)),
            item(2, updated=T0 - timedelta(days=1)),
            item(3),  # no dates: first seen at T0
            item(4, published=T0 - timedelta(days=3), updated=T0),
        ],
        now=T0 - timedelta(hours=1),
    )
    poll(db, [item(5)], now=T0 + timedelta(hours=1), source=src("s2", "Valley Radio"))
    order = [e.id for e in db.entries()]
    assert order == ["urn:item:5", "urn:item:3", "urn:item:2", "urn:item:1", "urn:item:4"]
    assert [e.id for e in db.entries(limit=2)] == ["urn:item:5", "urn:item:3"]
    assert [e.id for e in db.entries(source_id="s2")] == ["urn:item:5"]


def test_entries_without_dates_keep_the_source_order(db: Database) -> None:
    poll(db, [item(9), item(8), item(7)])
    assert [e.id for e in db.entries()] == ["urn:item:9", "urn:item:8", "urn:item:7"]


def test_times_come_back_as_aware_utc(db: Database) -> None:
    local = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-4)))
    poll(db, [item(1, published=local)])
    entry = db.entries()[0]
    assert entry.published == local
    assert entry.published is not None and entry.published.utcoffset() == timedelta(0)
    assert entry.first_seen == T0


def test_read_state_and_unread_count(db: Database) -> None:
    poll(db, [item(1), item(2)])
    poll(db, [item(3)], source=src("s2", "Valley Radio"))
    assert db.unread_count() == 3
    db.set_read("s1", "urn:item:1")
    assert db.unread_count() == 2
    assert {e.id for e in db.entries(unread_only=True)} == {"urn:item:2", "urn:item:3"}
    db.mark_all_read("s2")
    assert db.unread_count() == 1
    db.set_read("s1", "urn:item:1", read=False)
    db.mark_all_read()
    assert db.unread_count() == 0


def test_renaming_a_source_shows_in_stored_entries(db: Database) -> None:
    poll(db, [item(1)])
    db.sync_sources([replace(src(), name="Harbour Watch (evening)")])
    assert db.entries()[0].source_name == "Harbour Watch (evening)"


def test_delete_source_forgets_entries_state_and_tombstones(db: Database) -> None:
    poll(db, [item(1), item(2)])
    poll(db, [item(3)], source=src("s2", "Valley Radio"))
    db.prune(T0, max_per_source=1)
    db.delete_source("s1")
    assert [e.source_id for e in db.entries()] == ["s2"]
    assert db.known_fingerprints("s1") == {}
    assert "s1" not in db.all_states()
    # With its tombstones gone, a re-added source starts afresh.
    new, _ = poll(db, [item(1)], baseline=True)
    assert len(new) == 1


def test_sync_sources_can_forget_sources_no_longer_configured(db: Database) -> None:
    poll(db, [item(1)])
    poll(db, [item(2)], source=src("s2", "Valley Radio"))
    db.sync_sources([src("s2", "Valley Radio")], remove_missing=True)
    assert db.source_ids() == ["s2"]
    assert [e.source_id for e in db.entries()] == ["s2"]


def test_prune_keeps_the_newest_per_source_and_entries_do_not_return(db: Database) -> None:
    items = [item(n, published=T0 - timedelta(hours=n)) for n in range(1, 6)]
    poll(db, items)
    stored = db.known_fingerprints("s1")
    assert db.prune(T0, max_per_source=2) == 3
    assert [e.id for e in db.entries()] == ["urn:item:1", "urn:item:2"]
    known = db.known_fingerprints("s1")
    assert set(known) == {f"urn:item:{n}" for n in range(1, 6)}
    assert known["urn:item:5"] == stored["urn:item:5"]
    # The feed still lists all five: the pruned ones are not new again.
    assert poll(db, items, now=T0 + timedelta(minutes=5)) == ([], 0)


def test_prune_by_age_removes_only_entries_that_left_their_source(db: Database) -> None:
    old = T0 - timedelta(days=40)
    listed = [item(1, published=old), item(2, published=old), item(3), item(4)]
    poll(db, listed, now=T0 - timedelta(days=40))
    # Items 1 and 3 leave the feed; 2 and 4 stay however old they are.
    poll(db, [item(2, published=old), item(4)], now=T0)
    assert db.prune(T0 + timedelta(days=1), max_age_days=30) == 2
    assert sorted(e.id for e in db.entries()) == ["urn:item:2", "urn:item:4"]


def test_an_entry_that_left_is_aged_by_the_sources_own_date(db: Database) -> None:
    poll(db, [item(1, published=T0 + timedelta(days=40)), item(2, updated=T0)], now=T0)
    poll(db, [], now=T0 + timedelta(days=1))  # both have left
    assert db.prune(T0 + timedelta(days=31), max_age_days=30) == 1
    assert [e.id for e in db.entries()] == ["urn:item:1"]  # dated after the cut-off


@pytest.mark.parametrize("jump", [timedelta(days=40), timedelta(days=-400)])
def test_a_clock_jump_never_removes_what_the_source_still_lists(
    db: Database, jump: timedelta
) -> None:
    """40 days ahead, one check once tombstoned every entry (age counted from first seen);
    entries stored while the clock was 400 days behind were tombstoned once it was right."""
    dated = [item(n, published=T0 - timedelta(hours=n)) for n in (1, 2)]
    undated = [item(n) for n in (3, 4)]
    feed = [*dated, *undated]
    if jump > timedelta(0):
        poll(db, feed, now=T0)
        wrong_now = T0 + jump
        poll(db, feed, now=wrong_now)  # the clock jumped ahead: a check
        assert db.prune(wrong_now, max_age_days=30) == 0
    else:
        poll(db, feed, now=T0 + jump)  # stored while the clock was behind
        poll(db, feed, now=T0)  # the clock is right again
        assert db.prune(T0, max_age_days=30) == 0
    assert len(db.entries()) == 4
    assert poll(db, feed, now=T0 + timedelta(minutes=5)) == ([], 0)


def test_tombstones_of_entries_still_listed_survive_a_clock_jump(db: Database) -> None:
    feed = [item(n, published=T0 - timedelta(hours=n)) for n in (1, 2, 3)]
    behind = T0 - timedelta(days=400)
    poll(db, feed, now=behind)
    assert db.prune(behind, max_per_source=1) == 2  # tombstones last seen "400 days ago"
    # The clock is right again, and the source fails for a poll: retention runs all the same.
    db.prune(T0, max_per_source=1)
    # Still listed, so still known: the feed's older entries do not notify again.
    assert poll(db, feed, now=T0 + timedelta(minutes=5)) == ([], 0)


def test_a_live_page_entry_that_is_still_seen_is_kept(db: Database) -> None:
    page = item(0, is_page=True, title="Storm live: all the updates")
    updates = [item(n, published=T0 + timedelta(days=40, minutes=n)) for n in (1, 2, 3)]
    poll(db, [page], now=T0)
    poll(db, [page, *updates], now=T0 + timedelta(days=40))
    assert db.prune(T0 + timedelta(days=41), max_age_days=30, max_per_source=2) == 1
    assert [e.id for e in db.entries() if e.is_page] == ["urn:item:0"]
    assert len(db.entries()) == 3


def test_tombstones_expire_after_thirty_days_unless_seen_again(db: Database) -> None:
    poll(db, [item(1), item(2)], now=T0)
    poll(db, [], now=T0 + timedelta(days=1))  # both leave the feed for a while
    db.prune(T0 + timedelta(days=2), max_age_days=1)
    # item 2 keeps appearing in the feed, item 1 dropped out.
    poll(db, [item(2)], now=T0 + timedelta(days=25))
    db.prune(T0 + timedelta(days=40), max_age_days=1)
    assert set(db.known_fingerprints("s1")) == {"urn:item:2"}
    new, _ = poll(db, [item(1), item(2)], now=T0 + timedelta(days=41))
    assert [e.id for e in new] == ["urn:item:1"]


def test_prune_rejects_meaningless_retention(db: Database) -> None:
    with pytest.raises(ValueError, match="retention"):
        db.prune(T0, max_age_days=0)


def test_readonly_reader_sees_writes_and_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    with Database.open(path) as writer, Database.open(path, readonly=True) as reader:
        poll(writer, [item(1)])
        assert [e.id for e in reader.entries()] == ["urn:item:1"]
        with pytest.raises(StorageError, match="read-only"):
            reader.set_read("s1", "urn:item:1")


def test_readonly_open_of_a_missing_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "nothing.sqlite3"
    with pytest.raises(StorageError, match="does not exist"):
        Database.open(path, readonly=True)
    assert not path.exists()


def test_closed_database_raises_a_clear_error(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "entries.sqlite3")
    database.close()
    with pytest.raises(StorageError, match="closed"):
        database.entries()


def test_two_databases_on_one_file_share_entries(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    with Database.open(path) as app, Database.open(path) as check:
        poll(app, [item(1)])
        new, _ = poll(check, [item(1), item(2)], now=T0 + timedelta(minutes=1))
        assert [e.id for e in new] == ["urn:item:2"]
        check.set_read("s1", "urn:item:2")
        assert app.unread_count() == 1


def test_threads_can_share_one_database(db: Database) -> None:
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            s = src(f"t{k}", f"Thread source {k}")
            for n in range(20):
                poll(db, [item(n)], source=s, now=T0 + timedelta(seconds=n))
                db.entries(limit=5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(db.entries()) == 80


WRITER = """
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from widget.core.models import Entry, FetchState, Item, Source, SourceKind
from widget.storage.db import Database

db = Database.open(Path(sys.argv[1]))
t0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
for k in range(15):
    s = Source(id=f"p{k}", name=f"Process source {k}", url="https://example.test/p",
               kind=SourceKind.FEED)
    items = [Item(id=f"p{k}-{n}", title=f"Bulletin {n}", url=None) for n in range(40)]
    db.apply_items(s, items, now=t0 + timedelta(seconds=k), baseline=False,
                   notify=lambda i: True, state=FetchState(s.id))
db.close()
"""


def test_a_second_process_writing_concurrently_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    with Database.open(path) as db:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(15):
            s = src(f"m{k}", f"Main source {k}")
            poll(db, [item(n) for n in range(40)], source=s, now=T0 + timedelta(seconds=k))
            db.entries(limit=10)
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert len(db.entries()) == 15 * 40 * 2
        assert len(db.all_states()) == 30


def test_a_version_1_database_is_upgraded_keeping_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        for statement in split_statements(MIGRATIONS[0]):
            conn.execute(statement)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
        conn.execute("INSERT INTO sources VALUES ('s1', 'Harbour Watch', 'https://e.test/')")
        conn.execute(
            "INSERT INTO entries (source_id, entry_id, title, fingerprint, first_seen, last_seen)"
            " VALUES ('s1', 'urn:old', 'Pier reopened', 'f', ?, ?),"
            " ('s1', 'urn:new', 'Pier open all night', 'g', ?, ?)",
            (*["2024-04-01T00:00:00.000000+00:00"] * 2, *["2024-04-30T00:00:00.000000+00:00"] * 2),
        )
    with Database.open(path) as db:
        assert [e.title for e in db.entries()] == ["Pier open all night", "Pier reopened"]
        # Retention works on the upgraded file: the entry the last poll did not list goes.
        assert db.prune(T0, max_age_days=7) == 1
        assert [e.title for e in db.entries()] == ["Pier open all night"]
    with closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


OPENER = """
import sys
from pathlib import Path
from widget.storage.db import Database
Database.open(Path(sys.argv[1])).close()
"""


def test_processes_opening_a_new_file_together_all_succeed(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    procs = [
        subprocess.Popen([sys.executable, "-c", OPENER, str(path)], stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    with Database.open(path, readonly=True) as db:
        assert db.entries() == []


def test_release_memory_keeps_the_connection_working(db: Database) -> None:
    poll(db, [item(n) for n in range(50)], baseline=True)
    before = db.entries()
    assert len(before) == 50
    assert db.release_memory() is True
    assert db.entries() == before  # the store reads on, from the file
    reader = Database.open(db.path, readonly=True)
    try:
        assert reader.release_memory() is True and reader.entries() == before
    finally:
        reader.close()
    assert reader.release_memory() is False  # closed: nothing to release, no error


def test_release_memory_never_waits_for_a_busy_connection(db: Database) -> None:
    held, done = threading.Event(), threading.Event()

    def busy() -> None:
        with db._lock:  # another thread in the middle of a read or write
            held.set()
            done.wait(10)

    worker = threading.Thread(target=busy)
    worker.start()
    try:
        assert held.wait(10)
        assert db.release_memory() is False  # skipped at once, not queued behind the reader
    finally:
        done.set()
        worker.join()
    assert db.release_memory() is True
