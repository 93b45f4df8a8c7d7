"""Store builders: sources, and entries put in a real store as a poll would put them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from widget.core.models import Entry, FetchState, Item, Source, SourceKind
from widget.storage.db import Database


def feed_source(name: str, url: str, **fields: object) -> Source:
    """A feed named ``name`` at ``url``, with the id ``id-<name in lower case>``; ``fields``
    change any other of its settings."""
    source = Source(id=f"id-{name.lower()}", name=name, url=url, kind=SourceKind.FEED)
    return replace(source, **fields)  # type: ignore[arg-type]


def notify_all(_item: Item) -> bool:
    return True


def add_items(
    db: Database,
    source: Source,
    items: Iterable[Item],
    *,
    now: datetime,
    baseline: bool = False,
    notify: Callable[[Item], bool] = notify_all,
    state: FetchState | None = None,
) -> tuple[list[Entry], int]:
    """Store ``source``'s ``items`` as a poll at ``now`` does; by default an ordinary poll (not
    the baseline) that lets every new item notify and saves an empty fetch state. Returns
    ``Database.apply_items``' (new entries, number updated)."""
    return db.apply_items(
        source,
        list(items),
        now=now,
        baseline=baseline,
        notify=notify,
        state=state if state is not None else FetchState(source.id),
    )
