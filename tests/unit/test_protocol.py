"""The tray app ↔ poll process frames: whatever is written comes back whole and in order, a
broken stream is told apart from a finished one, and log records cross in the standard library's
pickle form with secrets already masked."""

from __future__ import annotations

import io
import logging
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from widget.core.models import PollResult, PollStatus, SourceResult
from widget.engine.protocol import (
    HEADER,
    Cancel,
    Done,
    FrameError,
    Job,
    PollArgs,
    Polled,
    Progress,
    encode,
    is_record_dict,
    read_frame,
    record_dict,
    write_frame,
)
from widget.log import redact

WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)
MESSAGES: list[object] = [
    Job("/c/config.json", "/d/entries.sqlite3", poll=PollArgs(only=("a",), force=True)),
    Progress(3, 200),
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


def test_a_stream_cut_inside_a_frame_ends_without_a_message() -> None:
    data = encode(Progress(1, 2))
    assert read_frame(io.BytesIO(data[:-1])) is None


def test_garbage_is_a_frame_error_not_a_message() -> None:
    junk = HEADER.pack(5) + b"hello"
    with pytest.raises(FrameError):
        read_frame(io.BytesIO(junk))
    with pytest.raises(FrameError):
        read_frame(io.BytesIO(HEADER.pack(0xFFFFFFFF)))


def test_a_log_record_crosses_as_a_masked_dict_and_comes_back_as_a_record() -> None:
    try:
        raise ValueError("GET https://127.0.0.1/feed?token=s3cr3t-value failed")
    except ValueError:
        record = logging.LogRecord(
            "widget.engine.record", logging.WARNING, __file__, 1, "%s: %s", None, None
        )
        record.args = ("Harbour", "password=hunter22 refused")
        record.exc_info = sys.exc_info()
    data = record_dict(record, logging.Formatter(), redact)
    stream = io.BytesIO()
    write_frame(stream, data)
    wire = stream.getvalue()
    assert b"s3cr3t-value" not in wire and b"hunter22" not in wire
    stream.seek(0)
    received = read_frame(stream)
    assert is_record_dict(received) and not is_record_dict(Progress(1, 2))
    back = logging.makeLogRecord(received)  # type: ignore[arg-type]
    assert back.name == "widget.engine.record" and back.levelno == logging.WARNING
    assert back.getMessage() == "Harbour: password=*** refused"
    assert back.exc_text is not None and "ValueError" in back.exc_text
    assert "token=***" in back.exc_text


def test_the_hidden_argument_makes_python_m_widget_a_poll_process(tmp_path: object) -> None:
    """The frozen app starts its poll process as ``live-updates SERVICE_ARG``: that path serves
    a job (here: nothing to poll) and ends with Done, printing nothing of the command line."""
    from widget.engine.protocol import SERVICE_ARG

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
