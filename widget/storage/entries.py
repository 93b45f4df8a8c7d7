"""Entries in the entry database, inside a transaction the caller holds: a poll's items diffed
against what is stored (new / edited / known / tombstoned), reads for the CLI and the notifier,
read marks, retention, and the sources mirror (names and URLs for readers without a config)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from widget.core.models import Entry, Item, Source
from widget.core.text import bounded_item, stable_hash, strip_bidi
from widget.storage.schema import E_SORT_TIME, SORT_TIME, from_db_time, to_db_time, utc_text

TOMBSTONE_MIN_DAYS = 30

ENTRY_COLUMNS = (
    "e.source_id, s.name, s.url, e.entry_id, e.title, e.url, e.published, e.updated, e.summary,"
    " e.key_points, e.first_seen, e.notify, e.read, e.is_page, e.baseline"
)
_UPSERT_SOURCE = (
    "INSERT INTO sources (id, name, url) VALUES (?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, url = excluded.url"
)
_INSERT_ENTRY = (
    "INSERT INTO entries (source_id, entry_id, title, url, published, updated, summary,"
    " key_points, is_page, fingerprint, first_seen, last_seen, notify, baseline, read)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE_ENTRY = (
    "UPDATE entries SET title = ?, url = ?, published = ?, updated = ?, summary = ?,"
    " key_points = ?, is_page = ?, fingerprint = ?, last_seen = ?, listed = 1"
    " WHERE source_id = ? AND entry_id = ?"
)
_TOMBSTONE_ENTRY = (
    "INSERT INTO tombstones (source_id, entry_id, fingerprint, removed_at, last_seen, listed)"
    " SELECT source_id, entry_id, fingerprint, ?, ?, listed FROM entries WHERE rowid = ?"
    " ON CONFLICT (source_id, entry_id) DO UPDATE SET removed_at = excluded.removed_at,"
    " last_seen = excluded.last_seen, listed = excluded.listed"
)


# --- rows ↔ models -----------------------------------------------------------------------------


def _item_fingerprint(item: Item, published: str | None, updated: str | None) -> str:
    """What an entry's content looks like; a change means the entry was edited."""
    key_points = "\n".join(item.key_points)
    return stable_hash(item.title, item.url, item.summary, key_points, published, updated)


def _content_columns(item: Item, published: str | None, updated: str | None) -> tuple[Any, ...]:
    """The stored columns of an item's content, in _INSERT_ENTRY / _UPDATE_ENTRY order."""
    points = json.dumps(list(item.key_points), ensure_ascii=False)
    return (item.title, item.url, published, updated, item.summary, points, item.is_page)


def _new_entry(
    source: Source,
    item: Item,
    content: tuple[Any, ...],
    first_seen: datetime,
    *,
    notify: bool,
    baseline: bool,
) -> Entry:
    return Entry(
        source_id=source.id,
        source_name=source.name,
        source_url=source.url,
        id=item.id,
        title=item.title,
        url=item.url,
        published=from_db_time(content[2]),
        updated=from_db_time(content[3]),
        summary=item.summary,
        key_points=tuple(item.key_points),
        first_seen=first_seen,
        notify=notify,
        read=baseline,
        is_page=item.is_page,
        baseline=baseline,
    )


def entry_from_row(row: Sequence[Any]) -> Entry:
    (source_id, name, url, entry_id, title, link, published, updated, summary, points) = row[:10]
    first_seen = from_db_time(row[10])
    assert first_seen is not None
    return Entry(
        source_id=source_id,
        source_name=name,
        source_url=url,
        id=entry_id,
        title=title,
        url=link,
        published=from_db_time(published),
        updated=from_db_time(updated),
        summary=summary,
        key_points=tuple(str(p) for p in json.loads(points)),
        first_seen=first_seen,
        notify=bool(row[11]),
        read=bool(row[12]),
        is_page=bool(row[13]),
        baseline=bool(row[14]),
    )


def entry_filters(
    source_id: str | None, unread_only: bool, unread_sql: str
) -> tuple[list[str], list[Any]]:
    """WHERE conditions and their parameters for one source and/or unread entries only."""
    where: list[str] = []
    params: list[Any] = []
    if source_id is not None:
        where.append("e.source_id = ?")
        params.append(source_id)
    if unread_only:
        where.append(unread_sql)
    return where, params


# --- the write path ----------------------------------------------------------------------------


def store_items(
    conn: sqlite3.Connection,
    source: Source,
    items: Sequence[Item],
    *,
    stamp: str,
    baseline: bool,
    notify: Callable[[Item], bool],
) -> tuple[list[Entry], int]:
    """Insert new items (notify=False when ``baseline``), update edited ones silently, ignore
    known and tombstoned ones (their last-seen time is ``stamp``, a UTC text time).
    Returns (new entries, number of updated entries)."""
    first_seen = datetime.fromisoformat(stamp)
    source = _bounded_source(source)
    new_entries: list[Entry] = []
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    unchanged: list[tuple[str, str, str]] = []
    tombstones_seen: list[tuple[str, str, str]] = []
    conn.execute(_UPSERT_SOURCE, (source.id, source.name, source.url))
    known: dict[str, str] = {}
    listed: set[str] = set()  # listed by the previous parse: stored entries and tombstones
    for entry_id, fp, was_listed in conn.execute(
        "SELECT entry_id, fingerprint, listed FROM entries WHERE source_id = ?", (source.id,)
    ):
        known[entry_id] = fp
        if was_listed:
            listed.add(entry_id)
    tombstoned: set[str] = set()
    for entry_id, was_listed in conn.execute(
        "SELECT entry_id, listed FROM tombstones WHERE source_id = ?", (source.id,)
    ):
        tombstoned.add(entry_id)
        if was_listed:
            listed.add(entry_id)
    seen: set[str] = set()
    for item in map(bounded_item, items):  # whichever parser built them, nothing unbounded
        if item.id in seen:
            continue  # duplicate id in one response: the first one wins
        seen.add(item.id)
        if item.id in tombstoned:
            tombstones_seen.append((stamp, source.id, item.id))
            continue
        published, updated = to_db_time(item.published), to_db_time(item.updated)
        fp = _item_fingerprint(item, published, updated)
        if item.id in known:
            if known[item.id] == fp:
                unchanged.append((stamp, source.id, item.id))
            else:
                content = _content_columns(item, published, updated)
                updates.append((*content, fp, stamp, source.id, item.id))
            continue
        wants = False if baseline else bool(notify(item))
        content = _content_columns(item, published, updated)
        # A baseline is what the source already showed when it was added: stored as read,
        # so adding a source never floods the unread badge either.
        inserts.append((source.id, item.id, *content, fp, stamp, stamp, wants, baseline, baseline))
        new_entries.append(
            _new_entry(source, item, content, first_seen, notify=wants, baseline=baseline)
        )
    # Reverse order: entries sharing a sort time come back in the source's own order.
    conn.executemany(_INSERT_ENTRY, reversed(inserts))
    conn.executemany(_UPDATE_ENTRY, updates)
    conn.executemany(
        "UPDATE entries SET last_seen = ?, listed = 1 WHERE source_id = ? AND entry_id = ?",
        unchanged,
    )
    conn.executemany(
        "UPDATE tombstones SET last_seen = ?, listed = 1 WHERE source_id = ? AND entry_id = ?",
        tombstones_seen,
    )
    # What this parse no longer lists has left the source: only that may age out (see prune).
    gone = [(source.id, entry_id) for entry_id in listed - seen]
    for table in ("entries", "tombstones"):
        conn.executemany(
            f"UPDATE {table} SET listed = 0 WHERE source_id = ? AND entry_id = ?", gone
        )
    return new_entries, len(updates)


def _bounded_source(source: Source) -> Source:
    name = strip_bidi(source.name)
    return source if name == source.name else replace(source, name=name)


def known_fingerprints(conn: sqlite3.Connection, source_id: str) -> dict[str, str]:
    """Entry id → content fingerprint for stored entries and tombstones of a source."""
    rows = conn.execute(
        "SELECT entry_id, fingerprint FROM tombstones WHERE source_id = ?1"
        " UNION ALL SELECT entry_id, fingerprint FROM entries WHERE source_id = ?1",
        (source_id,),
    ).fetchall()
    return dict(rows)


# --- reads and read marks ----------------------------------------------------------------------


def list_entries(
    conn: sqlite3.Connection,
    *,
    limit: int | None = None,
    source_id: str | None = None,
    unread_only: bool = False,
) -> list[Entry]:
    """Newest first by published, else updated, else first-seen time."""
    where, params = entry_filters(source_id, unread_only, "e.read = 0")
    sql = f"SELECT {ENTRY_COLUMNS} FROM entries e JOIN sources s ON s.id = e.source_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {E_SORT_TIME} DESC, e.rowid DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(max(0, limit))
    return [entry_from_row(row) for row in conn.execute(sql, params).fetchall()]


def recent_times(conn: sqlite3.Connection, source_id: str, limit: int) -> list[datetime]:
    """The sort times of a source's newest ``limit`` entries, newest first (what the schedule
    reads to learn a source's pace: no entry is built for it)."""
    rows = conn.execute(
        f"SELECT {SORT_TIME} FROM entries WHERE source_id = ? ORDER BY {SORT_TIME} DESC LIMIT ?",
        (source_id, max(0, limit)),
    ).fetchall()
    return [t for t in (from_db_time(row[0]) for row in rows) if t is not None]


def get_entry(conn: sqlite3.Connection, source_id: str, entry_id: str) -> Entry | None:
    row = conn.execute(
        f"SELECT {ENTRY_COLUMNS} FROM entries e JOIN sources s ON s.id = e.source_id"
        " WHERE e.source_id = ? AND e.entry_id = ?",
        (source_id, entry_id),
    ).fetchone()
    return None if row is None else entry_from_row(row)


def set_read(conn: sqlite3.Connection, source_id: str, entry_id: str, read: bool) -> None:
    conn.execute(
        "UPDATE entries SET read = ? WHERE source_id = ? AND entry_id = ?",
        (read, source_id, entry_id),
    )


def mark_all_read(conn: sqlite3.Connection, source_id: str | None) -> None:
    if source_id is None:
        conn.execute("UPDATE entries SET read = 1 WHERE read = 0")
    else:
        conn.execute("UPDATE entries SET read = 1 WHERE read = 0 AND source_id = ?", (source_id,))


def unread_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM entries WHERE read = 0").fetchone()[0])


def first_seen_since(conn: sqlite3.Connection, since: datetime) -> dict[str, list[datetime]]:
    """Source id → first-seen times of its entries stored since ``since`` (activity)."""
    rows = conn.execute(
        "SELECT source_id, first_seen FROM entries WHERE first_seen >= ? ORDER BY first_seen",
        (to_db_time(since),),
    ).fetchall()
    result: dict[str, list[datetime]] = {}
    for source_id, seen in rows:
        stamp = from_db_time(seen)
        assert stamp is not None
        result.setdefault(source_id, []).append(stamp)
    return result


# --- retention ---------------------------------------------------------------------------------


def prune(
    conn: sqlite3.Connection, now: datetime, *, max_age_days: int, max_per_source: int
) -> int:
    """Apply retention; removed entries leave tombstones (kept ≥ 30 days). Returns removed.

    By age, only entries that have left their source (its latest successful parse did not
    list them) are removed, and their age is judged by the source's own dates (published,
    else updated), else by when they were first seen. So a wrong clock, ahead or behind,
    never removes what the source still lists. By count, each source keeps its newest
    ``max_per_source`` (a live page's own entry aside). A tombstone goes once its entry has
    left the source and was last seen over ``max(30, max_age_days)`` days ago."""
    if max_age_days < 1 or max_per_source < 1:
        raise ValueError("retention needs at least 1 day and 1 entry per source")
    stamp = utc_text(now)
    cutoff = utc_text(now - timedelta(days=max_age_days))
    tomb_cutoff = utc_text(now - timedelta(days=max(TOMBSTONE_MIN_DAYS, max_age_days)))
    doomed = _doomed_rowids(conn, cutoff, max_per_source)
    conn.executemany(_TOMBSTONE_ENTRY, [(stamp, stamp, rowid) for rowid in doomed])
    conn.executemany("DELETE FROM entries WHERE rowid = ?", [(r,) for r in doomed])
    conn.execute("DELETE FROM tombstones WHERE listed = 0 AND last_seen < ?", (tomb_cutoff,))
    return len(doomed)


def _doomed_rowids(conn: sqlite3.Connection, cutoff: str, keep: int) -> list[int]:
    """Entries past retention: beyond the newest ``keep`` of their source (a live page's own
    entry is not counted), or no longer listed and dated before ``cutoff``. Index lookups."""
    doomed: set[int] = set()
    crowded = conn.execute(
        # Counts the page entry too (cheap, from an index); the query below leaves it out.
        "SELECT source_id FROM entries GROUP BY source_id HAVING COUNT(*) > ?",
        (keep,),
    ).fetchall()
    for (source_id,) in crowded:
        doomed.update(
            row[0]
            for row in conn.execute(
                f"SELECT rowid FROM entries WHERE source_id = ? AND is_page = 0"
                f" ORDER BY {SORT_TIME} DESC, rowid DESC LIMIT -1 OFFSET ?",
                (source_id, keep),
            )
        )
    doomed.update(
        row[0]
        for row in conn.execute(
            f"SELECT rowid FROM entries WHERE listed = 0 AND {SORT_TIME} < ?", (cutoff,)
        )
    )
    return sorted(doomed)


# --- the sources mirror ------------------------------------------------------------------------


def sync_sources(
    conn: sqlite3.Connection, sources: Sequence[Source], *, remove_missing: bool
) -> None:
    """Record the sources' names and URLs; ``remove_missing`` forgets every other source
    (its entries, tombstones and fetch state)."""
    conn.executemany(_UPSERT_SOURCE, [(s.id, strip_bidi(s.name), s.url) for s in sources])
    if remove_missing:
        keep = {s.id for s in sources}
        known = {row[0] for row in conn.execute("SELECT id FROM sources")}
        known |= {row[0] for row in conn.execute("SELECT source_id FROM fetch_state")}
        for source_id in known - keep:
            delete_source(conn, source_id)


def delete_source(conn: sqlite3.Connection, source_id: str) -> None:
    """Forget a source: its entries, tombstones and fetch state."""
    for table, column in (
        ("entries", "source_id"),
        ("tombstones", "source_id"),
        ("fetch_state", "source_id"),
        ("sources", "id"),
    ):
        conn.execute(f"DELETE FROM {table} WHERE {column} = ?", (source_id,))


def source_ids(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute("SELECT id FROM sources ORDER BY id")]
