"""Private files and folders: what Live Updates stores (config, entries, log) is the user's
alone, 0600 in 0700 folders, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if needed and make it 0700: only the user enters it."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    # A shared folder such as /tmp (sticky) is left as it is: only the app's own folder changes.
    if stat.S_IMODE(info.st_mode) != 0o700 and not info.st_mode & stat.S_ISVTX:
        folder.chmod(0o700)


def private_file(path: Path, *, create: bool = False) -> None:
    """Make ``path`` 0600 (only the user reads it), creating it empty when ``create``. SQLite
    gives a database's WAL and shared-memory files the database file's mode."""
    try:
        if create and not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if stat.S_IMODE(path.stat().st_mode) != 0o600:
            path.chmod(0o600)
    except FileNotFoundError:
        pass
