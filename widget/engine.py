"""The poll cycle: due sources → fetch → parse → diff → store. Synchronous, clock injected.

Fetching and parsing run on a small thread pool; every database write happens on the calling
thread, one transaction per source, so the store keeps a single writer.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from widget.core import policy, schedule
from widget.core.errors import (
    ConfigError,
    FetchError,
    SecretsError,
    SourceError,
    StorageError,
)
from widget.core.models import (
    AuthKind,
    Config,
    FetchState,
    Item,
    ParsedSource,
    PollResult,
    PollStatus,
    Source,
    SourceResult,
    SourceStatus,
)
from widget.sources import discover
from widget.sources.http import Credentials, FetchResponse, HttpClient
from widget.sources.probe import Probe, probe_url
from widget.storage.config import ConfigStore
from widget.storage.db import Database
from widget.storage.secrets import SecretStore

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Progress = Callable[[int, int], None]  # (done, total)

MAX_PARALLEL = 6
PERMANENT_REDIRECT_POLLS = 2  # a 301/308 seen on this many consecutive polls moves the source
GONE_REASON = "the server says this source is gone (HTTP 410)"
# Test-only: a shorter total deadline per request, in seconds (the default is 30).
DEADLINE_ENV = "LIVE_UPDATES_HTTP_DEADLINE"


@dataclass(frozen=True)
class _Outcome:
    """What a worker made of one source: a response (maybe unchanged), a parse, or an error."""

    response: FetchResponse | None = None
    parsed: ParsedSource | None = None  # None with a response: not modified
    body_hash: str | None = None
    error: Exception | None = None


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _deadline_from_env() -> float:
    raw = os.environ.get(DEADLINE_ENV)
    if not raw:
        return 30.0
    try:
        value = float(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not a number of seconds", DEADLINE_ENV, raw)
        return 30.0
    return min(30.0, max(0.1, value))


def _error_message(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, SourceError | SecretsError) and text:
        return text
    return f"unexpected error ({type(exc).__name__}: {text})" if text else type(exc).__name__


def _unique_items(items: Iterable[Item]) -> list[Item]:
    """The first item of each identity (a feed that repeats an id still yields one entry),
    leaving out items with nothing a person could read or open (e.g. a cut-off last item)."""
    seen: set[str] = set()
    unique: list[Item] = []
    for item in items:
        if not (item.title.strip() or item.summary.strip() or item.url or item.key_points):
            log.info("skipping an entry with no title, text or link (id %r)", item.id)
            continue
        if item.id in seen:
            log.info("skipping a repeated entry id %r", item.id)
            continue
        seen.add(item.id)
        unique.append(item)
    return unique


def _filter_text(item: Item) -> str:
    return "\n".join((item.title, item.summary, *item.key_points))


class Engine:
    def __init__(
        self,
        config: ConfigStore,
        db: Database,
        *,
        http: HttpClient | None = None,
        secrets: SecretStore | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self._db = db
        self._clock: Clock = clock or _utc_now
        self._rng = rng or random.Random()
        self._secrets = secrets
        if http is None:
            settings = config.load().settings
            deadline = _deadline_from_env()
            http = HttpClient(
                connect_timeout=min(10.0, deadline),
                deadline=deadline,
                max_bytes=max(1, settings.max_response_mb) * 1024 * 1024,
                proxy=settings.proxy,
            )
            self._owns_http = True
        else:
            self._owns_http = False
        self._http = http

    @property
    def http(self) -> HttpClient:
        return self._http

    def close(self) -> None:
        """Close the HTTP client if this engine built it (the database belongs to the caller)."""
        if self._owns_http:
            self._http.close()

    # --- reading ---

    def statuses(self) -> list[SourceStatus]:
        config = self._config.load()
        states = self._db.all_states()
        return [
            SourceStatus(source, states.get(source.id) or FetchState(source.id))
            for source in config.sources
        ]

    def next_due_time(self) -> datetime | None:
        """When the earliest enabled source is due (None: no enabled sources)."""
        now = self._clock()
        earliest: datetime | None = None
        for status in self.statuses():
            if not status.enabled:
                continue
            due = status.state.next_due or now
            if status.state.retry_after_until is not None:
                due = max(due, status.state.retry_after_until)
            if earliest is None or due < earliest:
                earliest = due
        return earliest

    # --- polling ---

    def poll(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool = False,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
    ) -> PollResult:
        """Poll due sources (``force``: every enabled source, yet never one under Retry-After,
        which is reported DEFERRED). ``only``: source ids. Each source's results are written in
        one transaction; a cancelled poll writes nothing for the sources it did not finish."""
        started = self._clock()
        config = self._config.load()
        self._db.sync_sources(config.sources)
        states = self._db.all_states()
        wanted = set(only) if only is not None else None

        results: dict[str, SourceResult] = {}
        due: list[tuple[Source, FetchState]] = []
        for source in config.sources:
            if not source.enabled or (wanted is not None and source.id not in wanted):
                continue
            state = states.get(source.id) or FetchState(source.id)
            if state.disabled_reason is not None:
                continue
            if state.retry_after_until is not None and state.retry_after_until > started:
                results[source.id] = SourceResult(
                    source.id,
                    source.name,
                    PollStatus.DEFERRED,
                    error=_deferred_message(state.retry_after_until, started),
                    next_due=state.retry_after_until,
                )
                continue
            if force or state.next_due is None or state.next_due <= started:
                due.append((source, state))

        total = len(due)
        done = 0
        if progress is not None:
            progress(0, total)
        stop = cancel if cancel is not None else threading.Event()
        if due:
            for source, state, outcome in self._run_workers(due, stop):
                if stop.is_set():
                    results[source.id] = SourceResult(source.id, source.name, PollStatus.CANCELLED)
                else:
                    results[source.id] = self._record(config, source, state, outcome)
                done += 1
                if progress is not None:
                    progress(done, total)

        if not stop.is_set():
            self._prune(config)

        ordered = tuple(results[s.id] for s in config.sources if s.id in results)
        return PollResult(started=started, finished=self._clock(), results=ordered)

    def _prune(self, config: Config) -> None:
        """Apply the retention settings. A failure here loses nothing new: it is logged and the
        next poll tries again."""
        settings = config.settings
        try:
            removed = self._db.prune(
                self._clock(),
                max_age_days=settings.retention_days,
                max_per_source=settings.retention_entries,
            )
        except StorageError:
            log.exception("applying the retention settings failed")
            return
        if removed:
            log.info("retention removed %d old entries", removed)

    def _run_workers(
        self, due: list[tuple[Source, FetchState]], stop: threading.Event
    ) -> Iterator[tuple[Source, FetchState, _Outcome]]:
        """Fetch and parse on up to MAX_PARALLEL threads; yield outcomes as they complete.
        If the caller stops early (an exception, Ctrl-C), ``stop`` is set and the poll returns
        at once: requests still running end on their own and write nothing."""
        failed: list[tuple[Source, FetchState, _Outcome]] = []
        pool = ThreadPoolExecutor(
            max_workers=min(MAX_PARALLEL, len(due)), thread_name_prefix="poll"
        )
        futures: dict[Future[_Outcome], tuple[Source, FetchState]] = {}
        try:
            for source, state in due:
                try:
                    creds = self._credentials(source)
                except Exception as exc:
                    if not isinstance(exc, SecretsError):
                        log.exception("reading the secret of %s failed unexpectedly", source.name)
                    failed.append((source, state, _Outcome(error=exc)))
                    continue
                future = pool.submit(self._fetch_and_parse, source, state, creds, stop)
                futures[future] = (source, state)
            yield from failed
            for future in as_completed(futures):
                source, state = futures[future]
                yield source, state, future.result()
        except BaseException:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)

    def _credentials(self, source: Source) -> Credentials | None:
        if source.auth is AuthKind.NONE:
            return None
        if self._secrets is None:
            self._secrets = SecretStore()
        secret = self._secrets.get(source.id)
        if secret is None:
            raise SecretsError(f"no password or token for {source.name} is stored in the keyring")
        if source.auth is AuthKind.BASIC:
            return Credentials(AuthKind.BASIC, secret, username=source.username or "")
        return Credentials(AuthKind.HEADER, secret, header=source.auth_header or "Authorization")

    def _fetch_and_parse(
        self,
        source: Source,
        state: FetchState,
        credentials: Credentials | None,
        cancel: threading.Event | None,
    ) -> _Outcome:
        """Runs on a worker thread: network and parsing only, no database."""
        if cancel is not None and cancel.is_set():
            return _Outcome()
        try:
            response = self._http.fetch(
                source.url,
                etag=state.etag,
                last_modified=state.last_modified,
                credentials=credentials,
                cancel=cancel,
            )
            if response.not_modified:
                return _Outcome(response=response, body_hash=state.body_hash)
            body_hash = hashlib.sha256(response.body).hexdigest()
            if body_hash == state.body_hash:
                return _Outcome(response=response, body_hash=body_hash)
            parsed = discover.parse(source.kind, response.body, response.headers, response.url)
            return _Outcome(response=response, parsed=parsed, body_hash=body_hash)
        except SourceError as exc:
            return _Outcome(error=exc)
        except Exception as exc:
            log.exception("polling %s (%s) failed unexpectedly", source.name, source.url)
            return _Outcome(error=exc)

    # --- recording (calling thread only) ---

    def _record(
        self, config: Config, source: Source, state: FetchState, outcome: _Outcome
    ) -> SourceResult:
        try:
            if outcome.error is not None:
                return self._record_error(config, source, state, outcome.error)
            if outcome.response is None:  # cancelled before the fetch started
                return SourceResult(source.id, source.name, PollStatus.CANCELLED)
            return self._record_success(config, source, state, outcome)
        except Exception as exc:
            log.exception("storing the poll of %s failed", source.name)
            return SourceResult(source.id, source.name, PollStatus.ERROR, error=_error_message(exc))

    def _interval(self, config: Config, source: Source) -> int:
        return source.effective_interval_minutes(config.settings.default_interval(source.kind))

    def _record_error(
        self, config: Config, source: Source, state: FetchState, error: Exception
    ) -> SourceResult:
        now = self._clock()
        message = _error_message(error)
        log.warning("%s: %s", source.name, message)
        errors = state.error_count + 1
        status = PollStatus.ERROR
        retry_until: datetime | None = None
        disabled: str | None = None
        if isinstance(error, FetchError) and (error.status == 410 or error.permanent):
            disabled = GONE_REASON if error.status == 410 else message
            message = disabled
            status = PollStatus.DISABLED
            next_due = None
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
        self, config: Config, source: Source, state: FetchState, outcome: _Outcome
    ) -> SourceResult:
        response = outcome.response
        assert response is not None
        now = self._clock()
        next_due = schedule.next_check(
            now, self._interval(config, source), response.headers, self._rng
        )
        redirect_url, redirect_count = self._track_redirect(source, state, response)
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
            last_error=None,
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
        parsed = outcome.parsed
        if parsed is None:
            self._db.save_state(new_state)
            self._move_if_redirected(source, redirect_url, redirect_count)
            return SourceResult(source.id, source.name, PollStatus.NOT_MODIFIED, next_due=next_due)

        for warning in parsed.warnings:
            log.warning("%s: %s", source.name, warning)
        items = _unique_items(parsed.items)
        baseline = not state.baseline_done
        known = self._db.known_fingerprints(source.id)
        if any(item.id not in known for item in items):
            new_state = replace(new_state, last_new_entry=now)
        new_state = replace(new_state, baseline_done=True)

        def notify(item: Item) -> bool:
            return source.notify and policy.passes_filters(
                source.include, source.exclude, _filter_text(item)
            )

        new_entries, updated = self._db.apply_items(
            source, items, now=now, baseline=baseline, notify=notify, state=new_state
        )
        self._move_if_redirected(source, redirect_url, redirect_count)
        return SourceResult(
            source.id,
            source.name,
            PollStatus.OK,
            new_entries=tuple(new_entries),
            updated_count=updated,
            baseline=baseline,
            next_due=next_due,
        )

    def _track_redirect(
        self, source: Source, state: FetchState, response: FetchResponse
    ) -> tuple[str | None, int]:
        target = response.permanent_redirect
        if target is None or target == source.url:
            return None, 0
        if target == state.redirect_url:
            return target, state.redirect_count + 1
        return target, 1

    def _move_if_redirected(self, source: Source, target: str | None, count: int) -> None:
        """After the same permanent redirect on consecutive polls, store the new URL (the
        source keeps its id, so its entries and state stay with it)."""
        if target is None or count < PERMANENT_REDIRECT_POLLS:
            return

        def move(config: Config) -> Config:
            sources = tuple(
                replace(s, url=target) if s.id == source.id else s for s in config.sources
            )
            return replace(config, sources=sources)

        try:
            self._config.update(move)
            state = self._db.get_state(source.id)
            self._db.save_state(replace(state, redirect_url=None, redirect_count=0))
        except (ConfigError, StorageError):
            # The poll itself is stored; the move is tried again after the next redirect.
            log.exception("%s moved to %s, but the new URL could not be saved", source.name, target)
            return
        log.info("%s moved permanently to %s; the stored URL is updated", source.name, target)

    # --- adding a source ---

    def probe(self, url: str, credentials: Credentials | None = None) -> Probe:
        """Fetch once, detect the kind (autodiscovery included). Raises SourceError."""
        return probe_url(self._http, url, credentials)


def _deferred_message(until: datetime, now: datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    when = until.astimezone(timezone.utc).strftime("%H:%M UTC")
    return f"deferred: the server asked to wait until {when} (about {minutes} min, Retry-After)"


__all__ = ["Clock", "Engine", "Probe", "Progress"]
