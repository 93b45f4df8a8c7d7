"""Source secrets in a real Secret Service (GNOME Keyring on a private bus), and the refusals:
no bus at all, or a backend keeping secrets in plain text → SecretsError, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.session import SessionBus, private_session_bus, unlocked_keyring
from widget.core.errors import SecretsError
from widget.storage.secrets import SecretStore

SECRET = "tide-table-token-5c1e"


@pytest.fixture(scope="module")
def keyring_bus() -> Iterator[SessionBus]:
    with private_session_bus() as bus, unlocked_keyring(bus):
        yield bus


@pytest.fixture
def store(keyring_bus: SessionBus, monkeypatch: pytest.MonkeyPatch) -> SecretStore:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", keyring_bus.address)
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    return SecretStore()


def files_containing(root: Path, needle: str) -> list[Path]:
    data = needle.encode()
    return [
        p for p in root.rglob("*") if p.is_file() and not p.is_socket() and data in p.read_bytes()
    ]


@pytest.mark.keyring
def test_round_trip_through_the_secret_service(store: SecretStore) -> None:
    assert store.available() is None
    store.set("src-harbour", SECRET)
    store.set("src-valley", "another secret ✓")
    assert store.get("src-harbour") == SECRET
    assert store.get("src-valley") == "another secret ✓"
    assert store.get("src-unknown") is None
    store.set("src-harbour", SECRET + "-rotated")
    assert store.get("src-harbour") == SECRET + "-rotated"
    store.delete("src-harbour")
    assert store.get("src-harbour") is None
    assert store.get("src-valley") == "another secret ✓"
    store.delete("src-harbour")  # already gone: nothing to do


@pytest.mark.keyring
def test_secrets_are_filed_under_the_app_and_source_id(
    store: SecretStore, keyring_bus: SessionBus
) -> None:
    store.set("src-lookup", SECRET)
    found = subprocess.run(
        ["secret-tool", "lookup", "service", "live-updates", "username", "src-lookup"],
        env={**os.environ, **keyring_bus.env},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert found.stdout == SECRET
    store.delete("src-lookup")


@pytest.mark.keyring
def test_no_secret_lands_on_disk_in_plain_text(store: SecretStore, keyring_bus: SessionBus) -> None:
    store.set("src-disk", SECRET)
    assert files_containing(keyring_bus.folder, SECRET) == []
    store.delete("src-disk")


@pytest.mark.keyring
def test_an_empty_secret_is_refused(store: SecretStore) -> None:
    with pytest.raises(SecretsError, match="empty secret"):
        store.set("src-empty", "")
    assert store.get("src-empty") is None


TRY_TO_STORE = f"""
import sys
from widget.core.errors import SecretsError
from widget.storage.secrets import SecretStore

store = SecretStore()
print("available:", store.available())
try:
    store.set("src-private", {SECRET!r})
except SecretsError as exc:
    print("refused:", exc)
    sys.exit(3)
print("stored")
"""


def run_isolated(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run TRY_TO_STORE with HOME and every XDG folder inside ``tmp_path``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DBUS_", "PYTHON"))}
    for var in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        folder = tmp_path / var.lower()
        folder.mkdir()
        env[var] = str(folder)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env.update(extra)
    return subprocess.run(
        [sys.executable, "-c", TRY_TO_STORE],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_any_bus_the_secret_is_refused_and_written_nowhere(tmp_path: Path) -> None:
    result = run_isolated(tmp_path, DBUS_SESSION_BUS_ADDRESS="disabled:")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "No usable keyring (Secret Service) was found" in result.stdout
    assert "the secret was not stored" in result.stdout
    assert "available: No usable keyring" in result.stdout
    assert SECRET not in result.stdout + result.stderr
    assert files_containing(tmp_path, SECRET) == []


def test_the_null_backend_is_refused(tmp_path: Path) -> None:
    result = run_isolated(
        tmp_path,
        DBUS_SESSION_BUS_ADDRESS="disabled:",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "unencrypted or not at all" in result.stdout


PLAINTEXT_BACKEND = '''
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    """Stands in for keyrings.alt's plaintext file backend: writes secrets to a file."""

    priority = 0.5

    def _file(self):
        return Path(os.environ["XDG_DATA_HOME"]) / "keyring_pass.cfg"

    def set_password(self, service, username, password):
        self._file().write_text(f"{service} {username} {password}")

    def get_password(self, service, username):
        return None

    def delete_password(self, service, username):
        pass
'''


def test_a_plaintext_file_backend_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    package = tmp_path / "site" / "keyrings" / "alt"
    package.mkdir(parents=True)
    (package / "file.py").write_text(PLAINTEXT_BACKEND, encoding="utf-8")
    result = run_isolated(
        tmp_path,
        DBUS_SESSION_BUS_ADDRESS="disabled:",
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        PYTHONPATH=str(tmp_path / "site"),
    )
    assert result.returncode == 3, result.stdout + result.stderr
    assert "keyrings.alt.file.PlaintextKeyring" in result.stdout
    assert "the secret was not stored" in result.stdout
    assert files_containing(tmp_path / "xdg_data_home", SECRET) == []
    assert not (tmp_path / "xdg_data_home" / "keyring_pass.cfg").exists()
