"""The tray app ↔ poll process protocol: length-prefixed pickle frames over the child's stdin
and stdout, and the messages they carry (plain dataclasses; results are ``core.models`` values).

Both ends are our own code, started together, so pickle is safe here and cheap. A frame is a
4-byte big-endian length followed by that many bytes of pickle.
"""

from __future__ import annotations

import pickle
import struct
from dataclasses import dataclass
from typing import BinaryIO

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
    fetch_threads: int = 6


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
class LogLine:
    """A log record, formatted in the child; the tray app's handlers mask secrets."""

    name: str
    level: int
    message: str
    created: float
    exc_text: str | None = None


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


class FrameBuffer:
    """Collects bytes as they arrive (non-blocking reads) and hands out whole messages."""

    def __init__(self) -> None:
        self._data = bytearray()

    def feed(self, chunk: bytes) -> list[object]:
        self._data += chunk
        messages: list[object] = []
        while len(self._data) >= HEADER.size:
            (size,) = HEADER.unpack_from(self._data)
            if size > MAX_FRAME:
                raise FrameError(f"a frame of {size} bytes is larger than the protocol allows")
            end = HEADER.size + size
            if len(self._data) < end:
                break
            data = bytes(self._data[HEADER.size : end])
            del self._data[:end]
            messages.append(_decode(data))
        return messages

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame."""
        return len(self._data)


__all__ = [
    "SERVICE_ARG",
    "Cancel",
    "Done",
    "Failed",
    "FrameBuffer",
    "FrameError",
    "IconsFetched",
    "Job",
    "LogLine",
    "PollArgs",
    "Polled",
    "Progress",
    "encode",
    "read_frame",
    "write_frame",
]
