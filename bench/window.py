"""Key-points window benchmark: first paint, search keystrokes and memory over a large store.

    python -m bench.window [--entries 5000] [--points 4] [--runs 5]

A store of ``--entries`` entries (``--points`` key points each; 20 sources, two of them live
pages) is written through ``Database.apply_items`` into a temp folder. Then, offscreen:
- load: building the window (model read from the read-only store);
- first paint: from ``show()`` to the list's first paint;
- keystroke: from a key typed in the search box to the filtered list painted (median of a word
  typed and erased again); the first keystroke of each run, which starts building the search
  text, is also shown on its own (median of the runs);
- memory: resident memory added by building and showing the window (first run), and with a
  search typed once every entry has its search text.
Medians are printed beside the targets; nothing here fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

TARGET_FIRST_PAINT_MS = 150.0
TARGET_KEYSTROKE_MS = 50.0
TARGET_MEMORY_MB = 25.0
WORDS = [
    "harbour",
    "ferry",
    "council",
    "bridge",
    "river",
    "storm",
    "market",
    "school",
    "station",
    "budget",
    "rail",
    "road",
    "hospital",
    "museum",
    "library",
    "park",
    "festival",
    "election",
    "weather",
    "flood",
]


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def build_store(folder: Path, entries: int, points: int) -> Path:
    from widget.core.models import FetchState, Item, Source, SourceKind
    from widget.storage.db import Database

    now = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
    path = folder / "entries.sqlite3"
    per_source = entries // 20
    with Database.open(path) as db:
        for s in range(20):
            live = s < 2
            kind = SourceKind.LIVE_PAGE if live else SourceKind.FEED
            source = Source(f"s{s}", f"Source {s} {WORDS[s]}", f"https://s{s}.example/", kind)
            items = []
            for n in range(per_source):
                w = WORDS[(n + s) % len(WORDS)]
                items.append(
                    Item(
                        id=f"{s}-{n}",
                        title=f"Update {n} on the {w} plans as the {WORDS[n % 7]} talks go on",
                        url=f"https://s{s}.example/{n}",
                        published=now - timedelta(minutes=n * 3 + s),
                        key_points=tuple(
                            f"Point {k}: officials said the {w} work would take {k + n % 9} weeks"
                            for k in range(points)
                        ),
                        is_page=live and n == 0,
                    )
                )
            db.apply_items(
                source,
                items,
                now=now,
                baseline=False,
                notify=lambda _i: True,
                state=FetchState(source.id),
            )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--points", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QEvent, QObject, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from widget.gui.window import KeyPointsWindow
    from widget.storage.db import Database

    class PaintClock(QObject):
        """Notes when the list's viewport is painted."""

        def __init__(self) -> None:
            super().__init__()
            self.painted_at: float | None = None

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and self.painted_at is None:
                self.painted_at = time.perf_counter()
            return False

    def until_painted(app: QApplication, clock: PaintClock, started: float) -> float:
        while clock.painted_at is None:
            app.processEvents()
        return (clock.painted_at - started) * 1000

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    with tempfile.TemporaryDirectory(prefix="lu-bench-window-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        path = build_store(folder, args.entries, args.points)
        print(
            f"store: {args.entries} entries, {args.entries * args.points} key points "
            f"written in {time.perf_counter() - t0:.1f} s"
        )
        settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
        reader = Database.open(path, readonly=True)
        loads, paints, keys, firsts, memory, searching = [], [], [], [], [], []
        for run in range(args.runs):
            app.processEvents()
            before = rss_mb()
            t = time.perf_counter()
            window = KeyPointsWindow(reader, settings=settings)
            loads.append((time.perf_counter() - t) * 1000)
            clock = PaintClock()
            window.view.viewport().installEventFilter(clock)
            started = time.perf_counter()
            window.show()
            paints.append(until_painted(app, clock, started))
            for _ in range(20):
                app.processEvents()  # let the batched layout and idle work finish
            window.model.build_search_text()  # nothing to build without a search
            memory.append(rss_mb() - before)
            window.search.setFocus()
            word = WORDS[run % len(WORDS)]
            strokes = [Qt.Key(ord(c.upper())) for c in word] + [Qt.Key.Key_Backspace] * len(word)
            for n, key in enumerate(strokes):
                clock.painted_at = None
                started = time.perf_counter()
                QTest.keyClick(window.search, key)
                keys.append(until_painted(app, clock, started))
                if n == 0:
                    firsts.append(keys[-1])
                if n == len(word) - 1:
                    window.model.build_search_text()
                    searching.append(rss_mb() - before)
            shown = window.model.rowCount()
            window.hide()
            window.deleteLater()
            app.processEvents()
            print(
                f"run {run + 1}: load {loads[-1]:.0f} ms, first paint {paints[-1]:.0f} ms, "
                f"keystroke median {statistics.median(keys[-len(strokes) :]):.1f} ms "
                f"(first {firsts[-1]:.1f} ms), memory +{memory[-1]:.1f} MB "
                f"(+{searching[-1]:.1f} MB searching), rows {shown}"
            )
        reader.close()

    def line(name: str, values: list[float], target: float, unit: str) -> str:
        median = statistics.median(values)
        verdict = "ok" if median <= target else "OVER"
        return f"{name:<28} median {median:7.1f} {unit}   target ≤ {target:g} {unit}   {verdict}"

    print(line("window build + store load", loads, float("inf"), "ms").replace("≤ inf ms", "—"))
    print(line("first paint after show", paints, TARGET_FIRST_PAINT_MS, "ms"))
    print(line("search keystroke → view", keys, TARGET_KEYSTROKE_MS, "ms"))
    print(line("first search keystroke", firsts, TARGET_KEYSTROKE_MS, "ms"))
    print(line("memory added (first run)", memory[:1], TARGET_MEMORY_MB, "MB"))
    print(line("memory while searching", searching[:1], TARGET_MEMORY_MB, "MB"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
