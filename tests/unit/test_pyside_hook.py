"""PySide6's check of each newly imported module ("does it use PySide6?") reads the file's bytes
instead of tokenizing it into ``linecache``: same answers, nothing left behind. Each check runs in
a fresh interpreter, where ``widget.gui`` is imported before PySide6 as in the tray app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CHILD = """
import json, linecache, sys
sys.path.insert(0, sys.argv[1])
import widget.gui
import PySide6.QtCore
import plain_helper, qt_helper, featured_helper
feature = sys.modules["shibokensupport.feature"]
print(json.dumps({
    "cached": sorted(n for n in linecache.cache if n.endswith("_helper.py")),
    "plain": feature.pyside_feature_dict.get("plain_helper"),
    "qt": feature.pyside_feature_dict.get("qt_helper"),
    "snake_case": featured_helper.NAME,
}))
"""


def test_modules_are_classified_as_before_and_leave_no_source_lines(tmp_path: Path) -> None:
    (tmp_path / "plain_helper.py").write_text("VALUE = 1\n", encoding="utf-8")
    (tmp_path / "qt_helper.py").write_text(
        "from PySide6.QtCore import QObject\nOBJ = QObject\n", encoding="utf-8"
    )
    # a module that switches on a PySide6 feature still gets it
    (tmp_path / "featured_helper.py").write_text(
        "from PySide6.QtCore import QObject\n"
        "from __feature__ import snake_case  # noqa\n"
        "o = QObject()\n"
        "o.set_object_name('desk')\n"
        "NAME = o.object_name()\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["cached"] == []  # no file's lines were kept
    assert seen["plain"] == -1  # "ignore this module", as PySide6 decides for it
    assert seen["qt"] == 0  # uses PySide6: feature switching applies, default "none"
    assert seen["snake_case"] == "desk"
