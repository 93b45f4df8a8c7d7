"""One source's network and parsing work, off the poll's thread (never the database): ``fetch``
runs on the poll's fetch pool, ``parse`` on its parse thread (see ``poll.Engine``)."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, replace

from widget.core.errors import SourceError
from widget.core.models import FetchState, ParsedSource, Source
from widget.sources import discover
from widget.sources.http import Credentials, FetchResponse, HttpClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What became of one source: a response (maybe unchanged), a parse, or an error.
    No response and no error: cancelled before the fetch started. ``unparsed``: a changed body
    still to be parsed (``parse``)."""

    response: FetchResponse | None = None  # its body is dropped once hashed and parsed
    parsed: ParsedSource | None = None  # None with a response: not modified
    body_hash: str | None = None
    error: Exception | None = None
    unparsed: bool = False


def fetch(
    http: HttpClient,
    source: Source,
    state: FetchState,
    credentials: Credentials | None,
    cancel: threading.Event | None,
) -> Outcome:
    """Conditional GET: a 304 or a body identical to the last one (same SHA-256) is final;
    a changed body comes back ``unparsed``."""
    if cancel is not None and cancel.is_set():
        return Outcome()
    try:
        response = http.fetch(
            source.url,
            etag=state.etag,
            last_modified=state.last_modified,
            credentials=credentials,
            cancel=cancel,
        )
        if response.not_modified:
            return Outcome(response=response, body_hash=state.body_hash)
        body_hash = hashlib.sha256(response.body).hexdigest()
        if body_hash == state.body_hash:
            return Outcome(response=replace(response, body=b""), body_hash=body_hash)
        return Outcome(response=response, body_hash=body_hash, unparsed=True)
    except SourceError as exc:
        return Outcome(error=exc)
    except Exception as exc:
        log.exception("polling %s (%s) failed unexpectedly", source.name, source.url)
        return Outcome(error=exc)


def parse(source: Source, fetched: Outcome, cancel: threading.Event | None) -> Outcome:
    """The parse of a fetched body. Recording needs the status and headers only: the body goes
    before the outcome waits for the store's writer."""
    response = fetched.response
    if response is None or not fetched.unparsed:
        return fetched
    if cancel is not None and cancel.is_set():
        return Outcome()
    try:
        parsed = discover.parse(source.kind, response.body, response.headers, response.url)
    except SourceError as exc:
        return Outcome(error=exc)
    except Exception as exc:
        log.exception("parsing %s (%s) failed unexpectedly", source.name, source.url)
        return Outcome(error=exc)
    return Outcome(response=replace(response, body=b""), parsed=parsed, body_hash=fetched.body_hash)


__all__ = ["Outcome", "fetch", "parse"]
