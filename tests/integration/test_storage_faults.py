"""The store on a full or read-only filesystem, behind a writer, and the modes of private files.

Full and read-only filesystems are real: a small tmpfs mounted in a private mount namespace
(``unshare -m``), so nothing outside the test sees it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.support.feeds import RSS, posts, rss, run_cli
from tests.support.server import LoopbackServer
from tests.support.store import add_items
from widget.core.models import Config, Item, Source, SourceKind
from widget.paths import AppPaths
from widget.storage.config import ConfigStore
from widget.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
SOURCE = Source(
    id="harbour", name="Harbour Watch", url="http://127.0.0.1:9/feed.xml", kind=SourceKind.FEED
)

# Stores one entry (and the source) in the default paths: run inside the namespace.
_STORE_ONE = """
from datetime import datetime, timezone
from widget.core.models import Config, FetchState, Item, Source, SourceKind
from widget.paths import AppPaths
from widget.storage.config import ConfigStore
from widget.storage.db import Database
paths = AppPaths.default()
source = Source(id="harbour", name="Harbour Watch", url="http://127.0.0.1:9/feed.xml",
                kind=SourceKind.FEED)
ConfigStore(paths.config_file).save(Config(sources=(source,)))
with Database.open(paths.database_file) as db:
    db.apply_items(source, [Item(id="a", title="Ferry back on time", url=None)],
                   now=datetime.now(timezone.utc), baseline=False, notify=lambda i: True,
                   state=FetchState("harbour"))
"""


def _namespace_script(tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    """Run the shell ``body`` as root in a private mount namespace, with $M a fresh tmpfs
    mount point, the XDG folders inside it, and $PY this interpreter."""
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux)")
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"],
        capture_output=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a mount namespace: {probe.stderr.decode()}")
    mount = tmp_path / "mnt"
    mount.mkdir()
    script = textwrap.dedent(
        f"""\
        set -u
        M={mount}
        PY={sys.executable}
        mount -t tmpfs -o size=1m tmpfs "$M"
        export XDG_CONFIG_HOME=$M/config XDG_DATA_HOME=$M/data XDG_CACHE_HOME=$M/cache
        export XDG_STATE_HOME=$M/state PYTHONPATH={ROOT}
        """
    ) + textwrap.dedent(body)
    return subprocess.run(
        ["unshare", "-m", "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_read_only_commands_work_on_a_read_only_filesystem(tmp_path: Path) -> None:
    out = _namespace_script(
        tmp_path,
        f"""
        "$PY" -c '{_STORE_ONE}' || exit 9
        mount -o remount,ro "$M"
        echo "== entries"; "$PY" -m widget entries; echo "rc=$?"
        echo "== sources"; "$PY" -m widget sources list; echo "rc=$?"
        """,
    )
    assert out.returncode == 0, out.stderr
    entries, sources = out.stdout.split("== entries\n", 1)[1].split("== sources\n")
    assert "Ferry back on time" in entries and entries.rstrip().endswith("rc=0"), out.stderr
    assert "Harbour Watch" in sources and sources.rstrip().endswith("rc=0"), out.stderr


def test_a_full_disk_is_named_as_the_cause_and_reading_still_works(tmp_path: Path) -> None:
    out = _namespace_script(
        tmp_path,
        f"""
        "$PY" -c '{_STORE_ONE}' || exit 9
        dd if=/dev/zero of="$M/filler" bs=4k 2>/dev/null
        echo "== check"; "$PY" -m widget check 2>&1; echo "rc=$?"
        echo "== entries"; "$PY" -m widget entries 2>&1; echo "rc=$?"
        """,
    )
    assert out.returncode == 0, out.stderr
    check, entries = out.stdout.split("== check\n", 1)[1].split("== entries\n")
    assert "disk is full" in check, check
    assert "no transaction is active" not in check and "could not opening" not in check
    assert "Ferry back on time" in entries and entries.rstrip().endswith("rc=0")


def _store_one(paths: AppPaths) -> None:
    ConfigStore(paths.config_file).save(Config(sources=(SOURCE,)))
    with Database.open(paths.database_file) as db:
        add_items(db, SOURCE, [Item(id="a", title="Ferry back on time", url=None)], now=NOW)


def test_read_only_commands_do_not_wait_behind_a_writer(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = AppPaths.default()
    _store_one(paths)
    writer = sqlite3.connect(paths.database_file, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a poll's write
    try:
        code, out, err = run_cli(capsys, "entries")
        assert (code, err) == (0, "")
        assert "Ferry back on time" in out
        code, out, err = run_cli(capsys, "sources", "list")
        assert (code, err) == (0, "")
        assert "Harbour Watch" in out
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_read_only_commands_before_anything_is_stored_create_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = AppPaths.default()
    assert run_cli(capsys, "entries") == (0, "No entries yet.\n", "")
    assert not paths.database_file.exists()


_MODES = """
import json, logging, os, stat
from datetime import datetime, timezone
from pathlib import Path
from widget.core.models import Config, FetchState, Item, Source, SourceKind
from widget.log import configure_logging
from widget.paths import AppPaths
from widget.storage.config import ConfigStore
from widget.storage.db import Database
os.umask(0o022)
paths = AppPaths.default()
undo = configure_logging(paths)
logging.getLogger("widget.test").warning("a line in the log")
source = Source(id="harbour", name="Harbour Watch", url="http://127.0.0.1:9/feed.xml",
                kind=SourceKind.FEED)
store = ConfigStore(paths.config_file)
store.update(lambda config: Config(sources=(source,)))
db = Database.open(paths.database_file)
db.apply_items(source, [Item(id="a", title="Ferry back on time", url=None)],
               now=datetime.now(timezone.utc), baseline=False, notify=lambda i: True,
               state=FetchState("harbour"))
wal, shm = (Path(str(paths.database_file) + end) for end in ("-wal", "-shm"))
folders = (paths.config_dir, paths.data_dir, paths.log_dir)
files = (paths.config_file, store.lock_path, paths.database_file, wal, shm, paths.log_file)
mode = lambda path: oct(stat.S_IMODE(path.stat().st_mode))
print(json.dumps([{str(p): mode(p) for p in folders}, {str(p): mode(p) for p in files}]))
db.close()
undo()
"""


def test_private_files_are_0600_in_0700_folders_whatever_the_umask(home: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _MODES],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert out.returncode == 0, out.stderr
    folders, files = json.loads(out.stdout)
    assert folders == {path: "0o700" for path in folders}
    assert files == {path: "0o600" for path in files}
    assert len(files) == 6


def test_an_older_world_readable_store_becomes_private(home: Path) -> None:
    paths = AppPaths.default()
    paths.data_dir.mkdir(parents=True)
    paths.data_dir.chmod(0o755)
    Database.open(paths.database_file).close()
    paths.database_file.chmod(0o644)
    with Database.open(paths.database_file):
        assert stat.S_IMODE(paths.database_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(paths.data_dir.stat().st_mode) == 0o700


def test_after_a_poll_the_database_file_alone_is_a_complete_backup(
    tmp_path: Path, server: LoopbackServer
) -> None:
    from widget.engine.poll import Engine

    config = ConfigStore(tmp_path / "config.json")
    url = server.route("/feed", rss(posts(5)), content_type=RSS)
    config.save(Config(sources=(Source(id="h", name="Harbour", url=url, kind=SourceKind.FEED),)))
    db = Database.open(tmp_path / "entries.sqlite3")
    reader = Database.open(tmp_path / "entries.sqlite3", readonly=True)  # the tray app's window
    engine = Engine(config, db, host_gap_s=0)
    try:
        assert len(engine.poll().new_entries) == 5
        backup = tmp_path / "backup" / "entries.sqlite3"
        backup.parent.mkdir()
        shutil.copyfile(tmp_path / "entries.sqlite3", backup)  # the main file only, no -wal
    finally:
        engine.close()
        reader.close()
        db.close()
    with Database.open(backup, readonly=True) as copy:
        assert len(copy.entries()) == 5
