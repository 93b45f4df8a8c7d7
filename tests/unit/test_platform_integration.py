"""Start-up integration: the Windows AppUserModelID is the app id (Windows itself cannot run here,
so its shell32 is stood in for by a recorder of what would be called)."""

from __future__ import annotations

import pytest

from widget import APP_ID
from widget.desktop.appid import (
    integrate_at_startup,
    is_frozen,
    set_app_user_model_id,
)


class _Shell32:
    def __init__(self, result: int = 0) -> None:
        self.result = result
        self.calls: list[str] = []

    def SetCurrentProcessExplicitAppUserModelID(self, app_id: str) -> int:
        self.calls.append(app_id)
        return self.result


def test_windows_gets_the_app_id() -> None:
    shell = _Shell32()
    assert set_app_user_model_id(platform="win32", shell32=lambda: shell)
    assert shell.calls == [APP_ID]


def test_a_failing_call_is_logged_and_start_up_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    shell = _Shell32(result=-2147024809)  # E_INVALIDARG
    assert not set_app_user_model_id(platform="win32", shell32=lambda: shell)
    assert "0x80070057" in caplog.text and APP_ID in caplog.text


@pytest.mark.parametrize("platform", ["linux", "darwin", "freebsd14"])
def test_other_platforms_touch_nothing(platform: str) -> None:
    shell = _Shell32()
    assert not set_app_user_model_id(platform=platform, shell32=lambda: shell)
    assert shell.calls == []


def test_on_this_machine_start_up_integration_runs_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO")
    integrate_at_startup()
    assert APP_ID in caplog.text
    assert not is_frozen()
