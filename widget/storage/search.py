"""The key-points window's reads of the entry store: one page of matching entries with what the
window shows around them (live pages, counts, sources), and the window's text search, which runs
inside SQLite as the ``lu_match`` function (``register_match`` adds it to a connection)."""

from __future__ import annotations

import functools
import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from widget.storage.entries import entry_filters
from widget.storage.schema import E_SORT_TIME

_WINDOW_COLUMNS = (
    f"e.source_id, s.name, e.entry_id, e.title, e.url, {E_SORT_TIME},"
    " e.key_points, e.read, e.is_page, e.first_seen"
)


@functools.lru_cache(maxsize=64)
def _verbatim(needle: str) -> bool:
    """True when ``needle`` would appear unchanged inside a key point's JSON text (no quote,
    backslash or control character, which JSON escapes)."""
    return not any(c in '"\\' or c < " " for c in needle)


def window_match(needle: str, title: str, points_json: str) -> bool:
    """The window's search: ``needle`` (casefolded, single-spaced) is in the casefolded title or
    in one of the key points (stored as a JSON list). The JSON text is looked at first, so most
    entries are refused without decoding it."""
    if needle in title.casefold():
        return True
    if (
        needle not in points_json.casefold()
        and _verbatim(needle)
        and (needle.isascii() or "\\u" not in points_json)
    ):
        return False
    try:
        points = json.loads(points_json)
    except ValueError:
        return False
    return isinstance(points, list) and any(needle in str(p).casefold() for p in points)


def register_match(conn: sqlite3.Connection) -> None:
    conn.create_function("lu_match", 3, window_match, deterministic=True)


@dataclass(frozen=True)
class EntryPage:
    """What the key-points window shows of the store: the newest entries that match its filters,
    with what it needs around them. Each row: (source_id, source name, entry_id, title, url,
    sort time text, key points JSON text, read, is_page, first-seen text)."""

    rows: list[tuple[Any, ...]]  # matching entries, newest first
    more: bool  # older entries match too
    total: int  # entries stored
    unread: int  # unread entries stored
    pages: list[tuple[Any, ...]] = field(default_factory=list)  # every live page's own entry
    newest: dict[str, str] = field(default_factory=dict)  # live page's source → newest sort time
    sources: list[tuple[str, str]] = field(default_factory=list)  # (id, name) with entries


def entry_page(
    conn: sqlite3.Connection,
    *,
    limit: int,
    keep_since: str | None = None,
    cap: int | None = None,
    source_id: str | None = None,
    unread_only: bool = False,
    needle: str = "",
) -> EntryPage:
    """The newest ``limit`` entries matching the filters (``needle``: casefolded text, see
    ``window_match``; the connection has ``register_match``), and every newer one down to the
    sort time ``keep_since`` (at most ``cap`` in all); the store is read only as far as needed."""
    # "+e.read": walk the newest-first index, not the unread one
    where, params = entry_filters(source_id, unread_only, "+e.read = 0")
    if needle:
        where.append("lu_match(?, e.title, e.key_points)")
        params.append(needle)
    cond = " AND ".join(where) or "1"
    sql = (
        f"SELECT {_WINDOW_COLUMNS} FROM entries e JOIN sources s ON s.id = e.source_id"
        f" WHERE {cond} ORDER BY {E_SORT_TIME} DESC, e.rowid DESC"
    )
    most = max(limit, cap if cap is not None else limit)
    rows: list[tuple[Any, ...]] = []
    more = False
    cursor = conn.execute(sql, params)
    try:
        for row in cursor:
            full = len(rows) >= limit
            if full and (keep_since is None or row[5] < keep_since or len(rows) >= most):
                more = True
                break
            rows.append(row)
    finally:
        cursor.close()
    pages = conn.execute(
        f"SELECT {_WINDOW_COLUMNS} FROM entries e JOIN sources s ON s.id = e.source_id"
        f" WHERE e.is_page = 1 ORDER BY {E_SORT_TIME} DESC, e.rowid DESC"
    ).fetchall()
    newest = dict(
        conn.execute(
            "SELECT p.source_id, (SELECT MAX(COALESCE(x.published, x.updated,"
            " x.first_seen)) FROM entries x WHERE x.source_id = p.source_id)"
            " FROM entries p WHERE p.is_page = 1"
        ).fetchall()
    )
    total = int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
    unread = int(conn.execute("SELECT COUNT(*) FROM entries WHERE read = 0").fetchone()[0])
    sources = conn.execute(
        "SELECT s.id, s.name FROM sources s"
        " WHERE EXISTS (SELECT 1 FROM entries e WHERE e.source_id = s.id)"
    ).fetchall()
    return EntryPage(rows, more, total, unread, pages, newest, sources)
