"""The tray app ↔ poll process protocol: length-prefixed pickle frames over the child's stdin
and stdout, and the messages they carry (plain dataclasses; results are ``core.models`` values).

Both ends are our own code, started together, so pickle is safe here and cheap. A frame is a
4-byte big-endian length followed by that many bytes of pickle.

Log records cross as the standard library's pickle form of a record (the dict
``logging.handlers.SocketHandler.makePickle`` sends, built by ``record_dict``; the tray app turns it
back into a record with ``logging.makeLogRecord``). The child masks secrets before the dict is
built, so what crosses the pipe is already masked.
"""

from __future__ import annotations

import logging
import pickle
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from widget.core.models import Config, PollResult

HEADER = struct.Struct(">I")
MAX_FRAME = 512 * 1024 * 1024
# First argument of a frozen (PyInstaller) executable that makes it the poll process.
SERVICE_ARG = "--live-updates-poll-process"


class FrameError(Exception):
    """A broken frame: the other end wrote something that is not our protocol."""


# --- tray app → poll process ---
@dataclass(frozen=True)
class PollArgs:
    only: tuple[str, ...] | None = None
    force: bool = False
    baseline_entries: bool = True
    fetch_threads: int | None = None  # None: the engine's FETCH_CONCURRENCY


@dataclass(frozen=True)
class Job:
    """The one request a poll process serves: a poll and/or site icons to fetch."""

    config_path: str
    db_path: str
    config: Config | None = None  # an in-memory config (the demo); None: read config_path
    poll: PollArgs | None = None
    icon_urls: tuple[str, ...] = ()  # source URLs whose site icons are wanted
    cache_dir: str | None = None
    log_level: int = 20  # records below this level stay in the child


@dataclass(frozen=True)
class Cancel:
    """Stop the running poll (what is finished stays stored)."""


# --- poll process → tray app ---
@dataclass(frozen=True)
class Progress:
    done: int
    total: int


@dataclass(frozen=True)
class Polled:
    result: PollResult
    config: Config | None = None  # the in-memory config after the poll (a moved URL kept)


@dataclass(frozen=True)
class IconsFetched:
    keys: tuple[str, ...]  # site keys whose icon is now in the cache folder


@dataclass(frozen=True)
class Failed:
    message: str  # a sentence for the user


@dataclass(frozen=True)
class Done:
    """The job is over; the process exits next."""


def encode(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def write_frame(stream: BinaryIO, message: object) -> None:
    stream.write(encode(message))
    stream.flush()


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> object | None:
    """The next message; None at end of stream (also when it ends inside a frame)."""
    header = _read_exact(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise FrameError(f"a frame of {size} bytes is larger than the protocol allows")
    data = _read_exact(stream, size)
    return None if data is None else _decode(data)


def _decode(data: bytes) -> object:
    try:
        return pickle.loads(data)
    except Exception as exc:
        raise FrameError(f"an unreadable frame ({type(exc).__name__}: {exc})") from exc


def record_dict(
    record: logging.LogRecord,
    formatter: logging.Formatter,
    mask: Callable[[str], str] = str,
) -> dict[str, Any]:
    """A record as ``SocketHandler.makePickle`` sends it (message merged with its arguments, the
    traceback as text), with ``mask`` applied to the message and the traceback."""
    data = dict(record.__dict__)
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: send it as it is
        message = str(record.msg)
    data["msg"] = mask(message)
    data["args"] = None
    data["exc_info"] = None
    data.pop("message", None)
    if record.exc_info and not record.exc_text:
        data["exc_text"] = formatter.formatException(record.exc_info)
    if data.get("exc_text"):
        data["exc_text"] = mask(str(data["exc_text"]))
    if data.get("stack_info"):
        data["stack_info"] = mask(str(data["stack_info"]))
    return data


def is_record_dict(message: object) -> bool:
    """A log record frame (``record_dict``'s output)."""
    return isinstance(message, dict) and "levelno" in message and "name" in message


__all__ = [
    "SERVICE_ARG",
    "Cancel",
    "Done",
    "Failed",
    "FrameError",
    "IconsFetched",
    "Job",
    "PollArgs",
    "Polled",
    "Progress",
    "encode",
    "is_record_dict",
    "read_frame",
    "record_dict",
    "write_frame",
]
