"""The tray app ↔ poll process frames: whatever is written comes back whole and in order,
however the pipe splits it, and a broken stream is told apart from a finished one."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from widget.core.models import PollResult, PollStatus, SourceResult
from widget.engine.frames import (
    HEADER,
    Cancel,
    Done,
    FrameBuffer,
    FrameError,
    Job,
    LogLine,
    PollArgs,
    Polled,
    Progress,
    encode,
    read_frame,
    write_frame,
)

WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
MESSAGES: list[object] = [
    Job("/c/config.json", "/d/entries.sqlite3", poll=PollArgs(only=("a",), force=True)),
    Progress(3, 200),
    LogLine("widget.engine.record", 30, "Harbour: HTTP 404", 1.5, "Traceback ..."),
    Polled(PollResult(WHEN, WHEN, (SourceResult("a", "Harbour", PollStatus.OK, stored_count=7),))),
    Cancel(),
    Done(),
]


def test_frames_written_to_a_stream_are_read_back_in_order_then_end() -> None:
    stream = io.BytesIO()
    for message in MESSAGES:
        write_frame(stream, message)
    stream.seek(0)
    read = [read_frame(stream) for _ in MESSAGES]
    assert read == MESSAGES
    assert read_frame(stream) is None


def test_a_buffer_fed_one_byte_at_a_time_hands_out_each_whole_message_once() -> None:
    data = b"".join(encode(m) for m in MESSAGES)
    buffer = FrameBuffer()
    got: list[object] = []
    for i in range(len(data)):
        got += buffer.feed(data[i : i + 1])
    assert got == MESSAGES
    assert buffer.pending == 0


def test_a_stream_cut_inside_a_frame_ends_without_a_message() -> None:
    data = encode(Progress(1, 2))
    assert read_frame(io.BytesIO(data[:-1])) is None
    assert FrameBuffer().feed(data[:-1]) == []


def test_garbage_is_a_frame_error_not_a_message() -> None:
    junk = HEADER.pack(5) + b"hello"
    with pytest.raises(FrameError):
        read_frame(io.BytesIO(junk))
    with pytest.raises(FrameError):
        FrameBuffer().feed(HEADER.pack(0xFFFFFFFF))


def test_the_hidden_argument_makes_python_m_widget_a_poll_process(tmp_path: object) -> None:
    """The frozen app starts its poll process as ``live-updates SERVICE_ARG``: that path serves
    a job (here: nothing to poll) and ends with Done, printing nothing of the command line."""
    from widget.engine.frames import SERVICE_ARG

    job = Job(f"{tmp_path}/config.json", f"{tmp_path}/entries.sqlite3", poll=PollArgs())
    done = subprocess.run(
        [sys.executable, "-m", "widget", SERVICE_ARG],
        input=encode(job),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    answers = []
    stream = io.BytesIO(done.stdout)
    while (message := read_frame(stream)) is not None:
        answers.append(message)
    assert isinstance(answers[-1], Done)
    polled = [a for a in answers if isinstance(a, Polled)]
    assert len(polled) == 1 and polled[0].result.results == ()
