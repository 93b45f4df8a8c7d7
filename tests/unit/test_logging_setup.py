"""The log file: rotating in the platform log folder, stderr with --verbose, secrets masked."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from widget.log import MASK, configure_logging, redact
from widget.paths import AppPaths


@pytest.fixture
def paths(home: Path) -> AppPaths:
    return AppPaths.default()


@pytest.fixture
def undo_list() -> Iterator[list[object]]:
    undos: list[object] = []
    yield undos
    for undo in reversed(undos):
        assert callable(undo)
        undo()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("GET http://bob:hunter2@example.org/feed", "hunter2"),
        ("GET https://example.org/f.xml?access_token=S3cr3tT0k&page=2", "S3cr3tT0k"),
        ("GET https://example.org/f.xml?page=2&api_key=S3cr3tT0k", "S3cr3tT0k"),
        ("https://example.org/f?apikey=S3cr3tT0k", "S3cr3tT0k"),
        ("Authorization: Bearer S3cr3tT0k", "S3cr3tT0k"),
        ("{'authorization': 'Basic dXNlcjpwYXNz', 'accept': '*/*'}", "dXNlcjpwYXNz"),
        ('{"X-API-Key": "S3cr3tT0k"}', "S3cr3tT0k"),
        ("Cookie: session=S3cr3tT0k; theme=dark", "S3cr3tT0k"),
        ("login failed: password=S3cr3tT0k user=bob", "S3cr3tT0k"),
        ("sent with bearer S3cr3tT0k.part2", "S3cr3tT0k"),
    ],
)
def test_redact_masks_credentials(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        "key points: three arrests, one road closed",
        "monkey=banana",
        "GET https://example.org/feed.xml?page=2 200 OK",
        "Keyboard focus moved",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    assert redact(text) == text


def test_log_goes_to_a_file_in_the_platform_log_dir(
    home: Path, paths: AppPaths, undo_list: list[object]
) -> None:
    err = io.StringIO()
    undo_list.append(configure_logging(paths, stderr=err))
    logging.getLogger("widget.test").info("polled %d sources", 3)
    logging.getLogger("widget.test").debug("not without --verbose")
    text = paths.log_file.read_text(encoding="utf-8")
    assert "INFO widget.test: polled 3 sources" in text
    assert "not without --verbose" not in text
    assert err.getvalue() == ""
    # XDG_STATE_HOME is respected: on Linux the log lives in ~/.local/state/live-updates/log
    assert paths.log_file == home / "state" / "live-updates" / "log" / "live-updates.log"


def test_verbose_adds_debug_and_stderr(paths: AppPaths, undo_list: list[object]) -> None:
    err = io.StringIO()
    undo_list.append(configure_logging(paths, verbose=True, stderr=err))
    logging.getLogger("widget.test").debug("retrying %s", "Runners")
    assert "retrying Runners" in err.getvalue()
    assert "retrying Runners" in paths.log_file.read_text(encoding="utf-8")


def test_secrets_never_reach_file_or_stderr(paths: AppPaths, undo_list: list[object]) -> None:
    err = io.StringIO()
    undo_list.append(configure_logging(paths, verbose=True, stderr=err))
    log = logging.getLogger("widget.test")
    log.warning("fetch %s failed", "https://u:Pa55word@example.org/f?token=T0kenValue")
    try:
        raise RuntimeError("server said no to Authorization: Bearer T0kenValue")
    except RuntimeError:
        log.exception("poll failed")
    for text in (paths.log_file.read_text(encoding="utf-8"), err.getvalue()):
        assert "Pa55word" not in text and "T0kenValue" not in text
        assert "RuntimeError" in text and "example.org" in text


def test_the_file_rotates_and_keeps_a_few_old_ones(
    paths: AppPaths, undo_list: list[object]
) -> None:
    undo_list.append(configure_logging(paths, stderr=io.StringIO(), max_bytes=2000, backups=2))
    for i in range(200):
        logging.getLogger("widget.test").info("line %03d %s", i, "x" * 40)
    files = sorted(p.name for p in paths.log_dir.iterdir())
    assert files == ["live-updates.log", "live-updates.log.1", "live-updates.log.2"]
    assert all(p.stat().st_size <= 2000 for p in paths.log_dir.iterdir())
    assert "line 199" in paths.log_file.read_text(encoding="utf-8")


def test_unwritable_log_dir_says_so_and_logs_to_stderr(
    tmp_path: Path, undo_list: list[object]
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the log folder should be", encoding="utf-8")
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "k", blocker / "log")
    err = io.StringIO()
    undo_list.append(configure_logging(paths, stderr=err))
    logging.getLogger("widget.test").warning("source Runners failed")
    lines = err.getvalue().splitlines()
    assert "cannot write the log file" in lines[0] and str(paths.log_file) in lines[0]
    assert lines[1:] == ["WARNING widget.test: source Runners failed"]


def test_undo_removes_the_handlers(paths: AppPaths) -> None:
    root = logging.getLogger()
    before = list(root.handlers), root.level
    undo = configure_logging(paths, verbose=True, stderr=io.StringIO())
    undo()
    assert (list(root.handlers), root.level) == before
    assert logging.getLogger("widget").level == logging.NOTSET
