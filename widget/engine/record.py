"""Recording one source's poll outcome: fetch state, entries, redirects. Calling thread only.

Every write for a source is one transaction, so the store keeps a single writer and a poll that
stops half-way leaves each source either fully recorded or untouched.

A source removed while the poll ran (in the settings or with ``sources remove``) is never written
back: each source is recorded under the config's inter-process lock, and only while the config
still lists it. Removing takes that lock to drop the source from the config, then forgets its
entries, so either the poll's write comes first and is forgotten with the rest, or it sees the
source gone and writes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from widget.core import policy, schedule
from widget.core.errors import ConfigError, FetchError, SecretsError, SourceError, StorageError
from widget.core.models import (
    AuthKind,
    Config,
    FetchState,
    IntervalMode,
    Item,
    KeyPointsChange,
    PollStatus,
    Source,
    SourceKind,
    SourceResult,
)
from widget.core.urls import same_origin
from widget.engine.fetching import Outcome
from widget.sources.http import FetchResponse
from widget.sources.items import dedupe, readable
from widget.storage.config import ConfigStore, MemoryConfigStore
from widget.storage.db import Database

log = logging.getLogger(__name__)

PERMANENT_REDIRECT_POLLS = 2  # a 301/308 seen on this many consecutive polls moves the source
GONE_REASON = "the server says this source is gone (HTTP 410)"


def error_message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, SourceError | SecretsError) and text:
        return text
    return f"unexpected error ({type(exc).__name__}: {text})" if text else type(exc).__name__


def _filter_text(item: Item) -> str:
    return "\n".join((item.title, item.summary, *item.key_points))


def config_locked(config: ConfigStore) -> contextlib.AbstractContextManager[None]:
    """The config's inter-process lock; none for an in-memory config (a poll process's copy of
    the demo's, which nothing else changes)."""
    if isinstance(config, MemoryConfigStore):
        return contextlib.nullcontext()
    return config.locked()


class Recorder:
    """Writes poll outcomes to the database (and a moved URL to the config)."""

    def __init__(
        self,
        config: ConfigStore,
        db: Database,
        clock: Callable[[], datetime],
        rng: random.Random,
    ) -> None:
        self._config = config
        self._db = db
        self._clock = clock
        self._rng = rng
        self._listed: tuple[object, frozenset[str]] | None = None  # (file version, source ids)

    def record(
        self,
        config: Config,
        source: Source,
        state: FetchState,
        outcome: Outcome,
        *,
        baseline_entries: bool = True,
    ) -> SourceResult:
        """Store one source's outcome. ``baseline_entries=False``: a baseline's new entries are
        counted (``stored_count``), not returned. A source no longer in the config (removed
        during the poll) is not written: it comes back CANCELLED."""
        try:
            with config_locked(self._config):
                if not self._still_listed(source.id):
                    log.info("%s was removed during the poll; its results are dropped", source.name)
                    return SourceResult(source.id, source.name, PollStatus.CANCELLED)
                return self._record(config, source, state, outcome, baseline_entries)
        except Exception as exc:
            log.exception("storing the poll of %s failed", source.name)
            return SourceResult(source.id, source.name, PollStatus.ERROR, error=error_message(exc))

    def _still_listed(self, source_id: str) -> bool:
        """The config (as saved now) still has the source. Call it holding the config's lock;
        the file is read again only when it changed."""
        if isinstance(self._config, MemoryConfigStore):
            return any(s.id == source_id for s in self._config.load().sources)
        try:
            info = os.stat(self._config.path)
            version: object = (info.st_ino, info.st_mtime_ns, info.st_size)
        except OSError:
            version = None
        if self._listed is None or self._listed[0] != version or version is None:
            ids = frozenset(s.id for s in self._config.load().sources)
            self._listed = (version, ids)
        return source_id in self._listed[1]

    def _record(
        self,
        config: Config,
        source: Source,
        state: FetchState,
        outcome: Outcome,
        baseline_entries: bool,
    ) -> SourceResult:
        if outcome.error is not None:
            return self._record_error(config, source, state, outcome.error)
        if outcome.response is None:  # cancelled before the fetch started
            return SourceResult(source.id, source.name, PollStatus.CANCELLED)
        return self._record_success(config, source, state, outcome, baseline_entries)

    def _interval(self, config: Config, source: Source) -> int:
        return schedule.backoff_minutes(source, config.settings)

    def _next_check(
        self,
        config: Config,
        source: Source,
        now: datetime,
        response: FetchResponse,
        last_update: datetime | None,
        items: Iterable[Item] = (),
    ) -> datetime:
        """When to poll after a success: a fixed interval as it always was, else the adaptive
        schedule (the source's own pace, the server's caching headers when longer)."""
        if source.interval_mode is IntervalMode.FIXED or (
            config.settings.schedule is IntervalMode.FIXED
        ):
            return schedule.next_check(
                now, self._interval_fixed(config, source), response.headers, self._rng
            )
        times = [t for t in (item.published or item.updated for item in items) if t is not None]
        if source.kind is not SourceKind.LIVE_PAGE and len(times) < 2:
            times += self._db.recent_times(source.id, 20)
        pace = schedule.cadence(source, config.settings, now, last_update, times)
        due, _reason = schedule.next_auto_check(now, pace, response.headers, self._rng)
        return due

    @staticmethod
    def _interval_fixed(config: Config, source: Source) -> int:
        return source.effective_interval_minutes(config.settings.default_interval(source.kind))

    def _record_error(
        self, config: Config, source: Source, state: FetchState, error: Exception
    ) -> SourceResult:
        now = self._clock()
        message = error_message(error)
        log.warning("%s: %s", source.name, message)
        offline = isinstance(error, FetchError) and error.network_down
        # The network being down says nothing about the source: it does not count towards
        # its backoff, and it is tried again soon (at once when the network comes back).
        errors = state.error_count if offline else state.error_count + 1
        status = PollStatus.ERROR
        retry_until: datetime | None = None
        disabled: str | None = None
        if isinstance(error, FetchError) and (error.status == 410 or error.permanent):
            disabled = GONE_REASON if error.status == 410 else message
            message = disabled
            status = PollStatus.DISABLED
            next_due = None
        elif offline:
            next_due = schedule.offline_retry(now, self._interval(config, source), self._rng)
        else:
            next_due = schedule.backoff(now, self._interval(config, source), errors, self._rng)
            if isinstance(error, FetchError) and error.retry_after is not None:
                retry_until = schedule.retry_after_until(now, error.retry_after)
                next_due = max(next_due, retry_until)
        new_state = replace(
            state,
            error_count=errors,
            last_error=message,
            last_checked=now,
            next_due=next_due,
            retry_after_until=retry_until,
            disabled_reason=disabled,
        )
        self._db.save_state(new_state)
        return SourceResult(source.id, source.name, status, error=message, next_due=next_due)

    def _record_success(
        self,
        config: Config,
        source: Source,
        state: FetchState,
        outcome: Outcome,
        baseline_entries: bool,
    ) -> SourceResult:
        response = outcome.response
        assert response is not None
        now = self._clock()
        parsed = outcome.parsed
        baseline = not state.baseline_done
        dropped: list[str] = []
        items = list(dedupe(parsed.items, dropped)) if parsed is not None else []
        for note in dropped:
            log.info("%s: %s", source.name, note)
        if any(not readable(i) for i in items):
            log.info("%s: skipping entries with no title, text or link", source.name)
            items = [i for i in items if readable(i)]
        last_update = state.last_new_entry
        if parsed is not None:
            known = self._db.known_fingerprints(source.id)
            if baseline:  # a first look: the page's own dates tell how lively it is
                dates = [d for i in items if (d := i.published or i.updated) and d <= now]
                last_update = max(dates, default=None)
            elif any(item.id not in known for item in items):
                last_update = now
        next_due = self._next_check(config, source, now, response, last_update, items)
        redirect_url, redirect_count = self._track_redirect(source, state, response)
        kept_note = self._kept_private_url(source, redirect_url, redirect_count)
        new_state = replace(
            state,
            etag=response.etag if response.etag is not None else state.etag,
            last_modified=(
                response.last_modified
                if response.last_modified is not None
                else state.last_modified
            ),
            body_hash=outcome.body_hash,
            next_due=next_due,
            error_count=0,
            last_error=kept_note,
            last_checked=now,
            last_success=now,
            retry_after_until=None,
            disabled_reason=None,
            redirect_url=redirect_url,
            redirect_count=redirect_count,
        )
        if response.status == 200 and response.etag is None and response.last_modified is None:
            # The server stopped sending validators: do not send stale ones back.
            new_state = replace(new_state, etag=None, last_modified=None)
        if parsed is None:
            self._db.save_state(new_state)
            self._move_if_redirected(source, redirect_url, redirect_count)
            return SourceResult(source.id, source.name, PollStatus.NOT_MODIFIED, next_due=next_due)

        for warning in parsed.warnings:
            log.warning("%s: %s", source.name, warning)
        new_state = replace(new_state, last_new_entry=last_update, baseline_done=True)

        def notify(item: Item) -> bool:
            return source.notify and policy.passes_filters(
                source.include, source.exclude, _filter_text(item)
            )

        changes = () if baseline else self._key_points_changes(source, items)
        new_entries, updated = self._db.apply_items(
            source, items, now=now, baseline=baseline, notify=notify, state=new_state
        )
        self._move_if_redirected(source, redirect_url, redirect_count)
        return SourceResult(
            source.id,
            source.name,
            PollStatus.OK,
            new_entries=tuple(new_entries) if baseline_entries or not baseline else (),
            updated_count=updated,
            baseline=baseline,
            next_due=next_due,
            stored_count=len(new_entries),
            key_points_changes=changes,
        )

    def _key_points_changes(
        self, source: Source, items: Iterable[Item]
    ) -> tuple[KeyPointsChange, ...]:
        """The page's own key points compared with what is stored: points gained or lost are
        news ("What to know — updated"); edits of ordinary entries stay silent."""
        if not source.notify_key_points:
            return ()
        changes: list[KeyPointsChange] = []
        for item in items:
            if not item.is_page:
                continue
            stored = self._db.get_entry(source.id, item.id)
            if stored is None:
                continue
            added = tuple(p for p in item.key_points if p not in stored.key_points)
            removed = tuple(p for p in stored.key_points if p not in item.key_points)
            if added or removed:
                changes.append(
                    KeyPointsChange(
                        source.id,
                        source.name,
                        item.id,
                        item.title,
                        item.url,
                        item.key_points,
                        added,
                        removed,
                    )
                )
        return tuple(changes)

    def _track_redirect(
        self, source: Source, state: FetchState, response: FetchResponse
    ) -> tuple[str | None, int]:
        target = response.permanent_redirect
        if target is None or target == source.url:
            return None, 0
        if target == state.redirect_url:
            return target, state.redirect_count + 1
        return target, 1

    @staticmethod
    def _kept_private_url(source: Source, target: str | None, count: int) -> str | None:
        """The note shown for a private source whose permanent redirect leaves its origin: its
        URL is never moved there (the secret belongs to the origin it was entered for)."""
        if target is None or count < PERMANENT_REDIRECT_POLLS or not _moves_secret(source, target):
            return None
        note = (
            f"the server says this source moved permanently to {target}, another site; the "
            "old address is kept and the sign-in is not sent there. Edit the source to follow "
            "the move"
        )
        if count == PERMANENT_REDIRECT_POLLS:
            log.warning("%s: %s", source.name, note)
        return note

    def _move_if_redirected(self, source: Source, target: str | None, count: int) -> None:
        """After the same permanent redirect on consecutive polls, store the new URL (the
        source keeps its id, so its entries and state stay with it). A private source never
        moves to another origin."""
        if target is None or count < PERMANENT_REDIRECT_POLLS or _moves_secret(source, target):
            return

        def move(config: Config) -> Config:
            sources = tuple(
                replace(s, url=target) if s.id == source.id else s for s in config.sources
            )
            return replace(config, sources=sources)

        try:
            self._config.save(move(self._config.load()))  # the caller holds the config's lock
            state = self._db.get_state(source.id)
            self._db.save_state(replace(state, redirect_url=None, redirect_count=0))
        except (ConfigError, StorageError):
            # The poll itself is stored; the move is tried again after the next redirect.
            log.exception("%s moved to %s, but the new URL could not be saved", source.name, target)
            return
        log.info("%s moved permanently to %s; the stored URL is updated", source.name, target)


def _moves_secret(source: Source, target: str) -> bool:
    """Moving ``source`` to ``target`` would send its secret to another origin."""
    return source.auth is not AuthKind.NONE and not same_origin(source.url, target)


__all__ = [
    "GONE_REASON",
    "PERMANENT_REDIRECT_POLLS",
    "Recorder",
    "config_locked",
    "error_message",
]
