"""Key-points window benchmark: first paint, search keystrokes and memory over a large store.

    python -m bench.window [--entries 5000] [--big 10000] [--points 4] [--runs 5]

A store of ``--entries`` entries (``--points`` key points each; 20 sources, two of them live
pages) is written through ``Database.apply_items`` into a temp folder. Then, offscreen:
- build: building the window (a hidden window reads nothing);
- first paint: from ``show()`` to the list's first paint (the store is read on show);
- keystroke: from a key typed in the search box to the filtered list painted (median of a word
  typed and erased again; the store answers each one); the first keystroke of each run is also
  shown on its own (median of the runs);
- memory: resident memory added by building and showing the window (first run), with a search
  typed, and once the window has been hidden and has let go of its rows;
- show after hide: first paint when the window is shown again after letting go of its rows.
The same runs over a ``--big`` store (0: skip) give the 10,000-entry lines.
Medians are printed beside the targets; nothing here fails.
"""

from __future__ import annotations

import argparse
import gc
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
    parser.add_argument("--big", type=int, default=10000)
    parser.add_argument("--points", type=int, default=4)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QEvent, QObject, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from widget.gui.window.window import KeyPointsWindow
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

    def measure(entries: int) -> dict[str, list[float]]:
        with tempfile.TemporaryDirectory(prefix="lu-bench-window-") as tmp:
            folder = Path(tmp)
            t0 = time.perf_counter()
            path = build_store(folder, entries, args.points)
            print(
                f"store: {entries} entries, {entries * args.points} key points "
                f"written in {time.perf_counter() - t0:.1f} s"
            )
            settings = QSettings(str(folder / "window.ini"), QSettings.Format.IniFormat)
            with Database.open(path, readonly=True) as reader:
                return runs(reader, settings)

    def runs(reader: Database, settings: QSettings) -> dict[str, list[float]]:
        got: dict[str, list[float]] = {
            k: [] for k in ("load", "paint", "key", "first", "mem", "search", "hidden", "again")
        }
        for run in range(args.runs):
            app.processEvents()
            before = rss_mb()
            t = time.perf_counter()
            window = KeyPointsWindow(reader, settings=settings)
            got["load"].append((time.perf_counter() - t) * 1000)
            clock = PaintClock()
            window.view.viewport().installEventFilter(clock)
            started = time.perf_counter()
            window.show()
            got["paint"].append(until_painted(app, clock, started))
            for _ in range(20):
                app.processEvents()  # let the batched layout and idle work finish
            got["mem"].append(rss_mb() - before)
            window.search.setFocus()
            word = WORDS[run % len(WORDS)]
            strokes = [Qt.Key(ord(c.upper())) for c in word] + [Qt.Key.Key_Backspace] * len(word)
            keys: list[float] = []
            for n, key in enumerate(strokes):
                clock.painted_at = None
                started = time.perf_counter()
                QTest.keyClick(window.search, key)
                keys.append(until_painted(app, clock, started))
                if n == len(word) - 1:
                    got["search"].append(rss_mb() - before)
            got["key"].extend(keys)
            got["first"].append(keys[0])
            shown = window.model.rowCount()
            window.hide()
            window.release()  # what RELEASE_AFTER_MS of being hidden does
            app.processEvents()
            gc.collect()
            got["hidden"].append(rss_mb() - before)
            clock.painted_at = None
            started = time.perf_counter()
            window.show()
            got["again"].append(until_painted(app, clock, started))
            window.hide()
            window.deleteLater()
            app.processEvents()
            print(
                f"run {run + 1}: build {got['load'][-1]:.0f} ms, first paint "
                f"{got['paint'][-1]:.0f} ms, keystroke median {statistics.median(keys):.1f} ms "
                f"(first {keys[0]:.1f} ms), memory +{got['mem'][-1]:.1f} MB "
                f"(+{got['search'][-1]:.1f} MB searching, +{got['hidden'][-1]:.1f} MB hidden), "
                f"shown again {got['again'][-1]:.0f} ms, rows {shown}"
            )
        return got

    sizes = [args.entries] + ([args.big] if args.big and args.big != args.entries else [])
    results = {n: measure(n) for n in sizes}

    def line(name: str, values: list[float], target: float, unit: str) -> str:
        median = statistics.median(values)
        verdict = "ok" if median <= target else "OVER"
        return f"{name:<28} median {median:7.1f} {unit}   target ≤ {target:g} {unit}   {verdict}"

    for n, got in results.items():
        print(f"— {n} entries —")
        print(line("window build", got["load"], float("inf"), "ms").replace("≤ inf ms", "—"))
        print(line("first paint after show", got["paint"], TARGET_FIRST_PAINT_MS, "ms"))
        print(line("search keystroke → view", got["key"], TARGET_KEYSTROKE_MS, "ms"))
        print(line("first search keystroke", got["first"], TARGET_KEYSTROKE_MS, "ms"))
        print(line("memory added (first run)", got["mem"][:1], TARGET_MEMORY_MB, "MB"))
        print(line("memory while searching", got["search"][:1], TARGET_MEMORY_MB, "MB"))
        print(
            line("memory hidden (released)", got["hidden"][:1], float("inf"), "MB").replace(
                "≤ inf MB", "—"
            )
        )
        print(line("first paint, shown again", got["again"], TARGET_FIRST_PAINT_MS, "ms"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
