"""Tray balloons (QSystemTrayIcon.showMessage), the fallback backend, in a real Qt process.

Qt picks its tray implementation once per process, so each case runs in its own interpreter.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.support.notify_session import NotifySession

pytestmark = pytest.mark.e2e

SCRIPT = r"""
import json, sys, time
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from widget.notify.base import Notification, Notifier
from widget.notify.systray import SystrayBackend

app = QApplication([])
end = time.monotonic() + (10 if sys.argv[1] == "wait" else 0)
while not QSystemTrayIcon.isSystemTrayAvailable() and time.monotonic() < end:
    app.processEvents()
    time.sleep(0.02)
pixmap = QPixmap(16, 16)
pixmap.fill(QColor("orange"))
tray = QSystemTrayIcon(QIcon(pixmap))
tray.show()
clicked, errors = [], []

class Fallback:
    name = "fallback"
    sent = []
    capabilities = None
    def start(self, on_activated=None, on_closed=None): pass
    def send(self, n): self.sent.append(n.summary)
    def close(self): pass

fallback = Fallback()
notifier = Notifier([SystrayBackend(tray), fallback],
                    on_activated=lambda n, a: clicked.append([n.summary, a.value]),
                    on_error=errors.append)
for title in ("Older update", "Newer update"):
    notifier.notify(Notification(summary=title, body="Harbour Live", key=("harbour", title)))
app.processEvents()
tray.messageClicked.emit()  # what Qt emits when the user clicks the balloon
app.processEvents()
notifier.close()
print(json.dumps({"clicked": clicked, "errors": errors, "fallback": fallback.sent}))
"""


def run_script(env: dict[str, str], mode: str) -> dict[str, list[object]]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    result: dict[str, list[object]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.skipif(shutil.which("trayer") is None, reason="needs trayer (an XEmbed tray host)")
def test_balloon_click_reports_the_last_message(notify_session: NotifySession) -> None:
    notify_session.start_tray()
    env = {**notify_session.env, "QT_QPA_PLATFORM": "xcb"}
    result = run_script(env, "wait")
    assert result["errors"] == [] and result["fallback"] == []
    assert result["clicked"] == [["Newer update", "default"]]


def test_without_a_tray_the_notifier_falls_back(notify_session: NotifySession) -> None:
    env = {**notify_session.env, "QT_QPA_PLATFORM": "offscreen"}
    result = run_script(env, "nowait")
    assert result["fallback"] == ["Older update", "Newer update"]
    assert result["errors"] == [
        "The tray balloon notification backend could not start: "
        "there is no system tray to show messages from"
    ]
    assert result["clicked"] == []
