"""One source's network and parsing work, on a poll's worker thread (never the database)."""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, replace

from widget.core.errors import SourceError
from widget.core.models import FetchState, ParsedSource, Source
from widget.engine.parsing import Parser
from widget.sources.http import Credentials, FetchResponse, HttpClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a worker made of one source: a response (maybe unchanged), a parse, or an error.
    No response and no error: cancelled before the fetch started."""

    response: FetchResponse | None = None  # its body is dropped once hashed and parsed
    parsed: ParsedSource | None = None  # None with a response: not modified
    body_hash: str | None = None
    error: Exception | None = None


def fetch_and_parse(
    http: HttpClient,
    parser: Parser,
    source: Source,
    state: FetchState,
    credentials: Credentials | None,
    cancel: threading.Event | None,
) -> Outcome:
    """Conditional GET, then parse only what changed: a 304 or a body identical to the last
    one (same SHA-256) parses nothing."""
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
        parsed = parser.parse(source.kind, response.body, response.headers, response.url, cancel)
        # Recording needs the status and headers only: the body goes before the outcome waits
        # for the store's writer.
        return Outcome(response=replace(response, body=b""), parsed=parsed, body_hash=body_hash)
    except SourceError as exc:
        return Outcome(error=exc)
    except Exception as exc:
        log.exception("polling %s (%s) failed unexpectedly", source.name, source.url)
        return Outcome(error=exc)


__all__ = ["Outcome", "fetch_and_parse"]
