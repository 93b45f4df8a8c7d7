"""Tray app benchmark: GUI stalls during a cold poll, idle memory and CPU, launch to tray icon,
side by side with a bare PySide6 tray app (QApplication + QSystemTrayIcon only).

    python -m bench.gui [--runs 3] [--sources 200] [--entries 50] [--idle 20]

Needs an X display with a system tray; without DISPLAY it runs itself again inside
``tests/session.sh xembed`` (Xvfb, session bus, dunst, trayer).

200 feeds × 50 entries (~2 KB of HTML each, ``bench.feeds``) are served from 127.0.0.1 by this
process. Each run starts the real app (``widget.gui.app.run_app``) in a fresh process with fresh
XDG folders whose config lists every feed, then measures inside that process:
- launch: process start → the tray icon is shown (``QSystemTrayIcon.isVisible()``);
- stall: with the key-points window open, the worst lateness of a 5 ms heartbeat ``QTimer`` on
  the GUI thread from the start of the cold poll (the controller's ``poll_started``) until its
  result has been shown and the window has reloaded;
- RSS when the poll result arrives (before the window reloads);
- idle, in the tray: the state the app spends its days in — after the poll (10,000 entries
  stored) the window is hidden (as closing it does); after the window's release grace
  (``KeyPointsWindow.RELEASE_AFTER_MS``, if it has one), a 2 s settle and ``gc.collect()``:
  RSS, then process CPU time (all threads) over ``--idle`` seconds with nothing due. Child
  processes still alive then (poll or parse workers) are reported on their own, with their RSS;
- idle with the window open: the window shown again over the 10,000 entries; after a 2 s
  settle, RSS and CPU time over ``--idle`` seconds (issue 4's own window budget is
  ``bench/window.py``'s).
The peer starts a bare tray app the same way and reports its launch time and idle RSS.
``BENCH_SMAPS=/path`` writes ``/proc/self/smaps`` at each idle measure (``/path``, ``/pathopen``,
``/pathbare`` for the peer).
Medians are printed beside the targets; nothing here fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from widget.unattended import Unattended

ROOT = Path(__file__).resolve().parent.parent
TARGET_STALL_MS = 30.0
TARGET_RSS_MB = 80.0
TARGET_IDLE_CPU_S = 0.2  # "≈ 0" over the idle window: no busy timers
TARGET_LAUNCH_S = 0.8
HEARTBEAT_MS = 5
SETTLE_MS = 2000
POLL_TIMEOUT_S = 300.0

Measure = dict[str, Any]


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _rss_after_trim() -> float:
    """RSS once glibc has handed its free heap pages back (diagnosis: fragmentation or use?)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return _rss_mb()
    ctypes.CDLL(name).malloc_trim(0)
    return _rss_mb()


def _child_processes() -> list[tuple[str, float]]:
    """This process's children still alive (parse workers, multiprocessing's resource
    tracker): their command line and RSS in MB. Their memory is not in our RSS."""
    found: list[tuple[str, float]] = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as f:
                pids = f.read().split()
        except OSError:
            continue
        for pid in pids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
                with open(f"/proc/{pid}/status", encoding="ascii") as f:
                    kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                continue  # it ended meanwhile
            found.append((cmd[-60:], kb / 1024))
    return found


def _report(out: Path, data: Measure) -> None:
    out.write_text(json.dumps(data), encoding="utf-8")


# --- the measured processes ---------------------------------------------------------------------


def _child_bare(started: float, out: Path) -> int:
    """The peer: a tray app with nothing but QApplication and QSystemTrayIcon."""
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QColor, QIcon, QPixmap
    from PySide6.QtWidgets import QApplication, QSystemTrayIcon

    qt = QApplication([sys.argv[0]])
    qt.setQuitOnLastWindowClosed(False)
    pixmap = QPixmap(22, 22)
    pixmap.fill(QColor("#3584e4"))
    tray = QSystemTrayIcon(QIcon(pixmap))
    data: Measure = {}

    def shown() -> None:
        if not QSystemTrayIcon.isSystemTrayAvailable():
            QTimer.singleShot(50, shown)
            return
        tray.show()
        data["launch_s"] = time.time() - started
        QTimer.singleShot(SETTLE_MS, settle)

    def settle() -> None:
        data["rss_mb"] = _rss_mb()
        if os.environ.get("BENCH_SMAPS"):
            smaps = Path(os.environ["BENCH_SMAPS"] + "bare")
            smaps.write_bytes(Path("/proc/self/smaps").read_bytes())
        _report(out, data)
        qt.quit()

    QTimer.singleShot(0, shown)
    return qt.exec()


def _child_app(started: float, out: Path, idle_s: float) -> int:
    """The real app with 200 sources: launch, stall during the cold poll, idle RSS and CPU."""
    import gc

    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    from widget.core.models import PollResult
    from widget.gui.app import App, run_app

    data: Measure = {}

    class Heartbeat:
        """A 5 ms timer on the GUI thread; its worst lateness is the longest stall."""

        def __init__(self) -> None:
            self.timer = QTimer()
            self.timer.setTimerType(Qt.TimerType.PreciseTimer)
            self.timer.setInterval(HEARTBEAT_MS)
            self.timer.timeout.connect(self.beat)
            self.clock = QElapsedTimer()
            self.late: list[float] = []
            self.at: list[float] = []  # when each beat ran (perf_counter)

        def start(self) -> None:
            self.clock.start()
            self.timer.start()

        def beat(self) -> None:
            elapsed = self.clock.nsecsElapsed() / 1e6
            self.clock.restart()
            self.late.append(max(0.0, elapsed - HEARTBEAT_MS))
            self.at.append(time.perf_counter())

        def stop(self) -> None:
            self.timer.stop()

    beat = Heartbeat()

    def ready(app: App) -> None:
        polled: list[PollResult] = []

        def launch_check() -> None:
            if app.tray.icon.isVisible():
                data["launch_s"] = time.time() - started
            else:
                QTimer.singleShot(5, launch_check)

        def on_polled(result: PollResult, _away: bool) -> None:
            polled.append(result)
            data["polled_at"] = time.perf_counter()
            data["rss_at_result_mb"] = _rss_mb()  # before the window reloads its list
            # the result has been shown once the events it queued are handled and the window
            # has reloaded its list (read on the worker), and a little after that
            QTimer.singleShot(500, shown)

        def shown() -> None:
            waited = time.perf_counter() - data["polled_at"]
            if app.window.model.total_count < polled[0].stored_count and waited < 10:
                QTimer.singleShot(50, shown)
                return
            data["reloaded_s"] = waited
            QTimer.singleShot(300, after_poll)

        def after_poll() -> None:
            beat.stop()
            result = polled[0]
            data["stall_ms"] = max(beat.late, default=0.0)
            worst = sorted(zip(beat.late, beat.at, strict=True), reverse=True)[:3]
            # the worst stalls, and when they ended relative to the poll result's arrival
            data["worst"] = [(round(ms, 1), round(at - data["polled_at"], 3)) for ms, at in worst]
            during = [
                ms for ms, at in zip(beat.late, beat.at, strict=True) if at <= data["polled_at"]
            ]
            data["stall_in_poll_ms"] = max(during, default=0.0)
            data["beats"] = len(beat.late)
            data["poll_s"] = (result.finished - result.started).total_seconds()
            data["new_entries"] = result.stored_count
            data["errors"] = sum(1 for r in result.results if r.error)
            polled.clear()
            # The tray app's idle state: the window hidden (closing it hides it), as the app
            # sits for days between polls. The window lets go of its rows after a short grace.
            app.window.hide()
            grace = int(getattr(app.window, "RELEASE_AFTER_MS", 0))
            QTimer.singleShot(grace + SETTLE_MS, idle_start)

        cpu: list[float] = []

        def measure(prefix: str) -> None:
            gc.collect()
            data[f"{prefix}rss_mb"] = _rss_mb()
            if os.environ.get("BENCH_SMAPS"):  # diagnosis: where the idle memory sits
                smaps = Path(os.environ["BENCH_SMAPS"] + prefix.rstrip("_"))
                smaps.write_bytes(Path("/proc/self/smaps").read_bytes())
            cpu.append(time.process_time())

        def idle_start() -> None:
            measure("")
            data["children"] = _child_processes()
            data["stored"] = app.db.unread_count()
            planned = app.tray.status.next_check  # the tooltip's "Next check"
            data["due_in_s"] = (
                (planned - datetime.now().astimezone()).total_seconds() if planned else 0.0
            )
            QTimer.singleShot(int(idle_s * 1000), idle_end)

        def idle_end() -> None:
            data["idle_cpu_s"] = time.process_time() - cpu[-1]
            data["idle_s"] = idle_s
            # then the same with the key-points window open over the 10,000 entries
            app.window.show_and_raise()
            QTimer.singleShot(SETTLE_MS, open_start)

        def open_start() -> None:
            measure("open_")
            QTimer.singleShot(int(idle_s * 1000), open_end)

        def open_end() -> None:
            data["open_idle_cpu_s"] = time.process_time() - cpu[-1]
            data["open_rss_trimmed_mb"] = _rss_after_trim()  # diagnosis, after all measures
            _report(out, data)
            app.quit()

        def on_poll_started(_force: bool) -> None:
            # From the start of the cold poll, as the target is defined: the window's first
            # paint and the tray icon's first show at launch come before it.
            if not beat.clock.isValid():
                beat.start()

        app.controller.poll_started.connect(on_poll_started)
        app.controller.polled.connect(on_polled)
        app.window.show_and_raise()
        launch_check()

    if os.environ.get("BENCH_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(os.environ["BENCH_SWITCH_INTERVAL"]))
    return run_app(on_ready=ready)


# --- the orchestrating process ------------------------------------------------------------------


def _fresh_env(folder: Path) -> dict[str, str]:
    keep = ("XDG_RUNTIME_DIR",)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_") or k in keep}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = folder / var.lower()
        path.mkdir()
        env[var] = str(path)
    env["TMPDIR"] = str(folder)  # the single-instance socket of each run is its own
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # 200 sources on one loopback host: no 2 s pacing between them (a real poll spreads hosts)
    env.update(Unattended(host_gap_s=0).as_environment())
    return env


def _write_config(env: dict[str, str], urls: list[str]) -> None:
    from widget.core.models import Config, Source, SourceKind
    from widget.paths import AppPaths
    from widget.storage.config import ConfigStore, new_source_id

    saved = {k: os.environ.get(k) for k in env if k.startswith("XDG_")}
    os.environ.update({k: v for k, v in env.items() if k.startswith("XDG_")})
    try:
        paths = AppPaths.default()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    paths.ensure()
    sources = tuple(
        Source(id=new_source_id(), name=f"Desk {i}", url=url, kind=SourceKind.FEED)
        for i, url in enumerate(urls)
    )
    ConfigStore(paths.config_file).save(Config(sources=sources))


def _run_child(
    mode: str, env: dict[str, str], folder: Path, idle_s: float, profile: str | None = None
) -> Measure:
    out = folder / f"{mode}.json"
    spy: list[str] = []
    if profile:  # py-spy samples every thread; the collapsed stacks go to ``profile``
        spy = ["py-spy", "record", "--threads", "--rate", "500", "--format", "raw"]
        spy += ["--output", profile, "--"]
    started = time.time()
    done = subprocess.run(
        [
            *spy,
            sys.executable,
            "-m",
            "bench.gui",
            "--child",
            mode,
            str(started),
            str(out),
            str(idle_s),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=POLL_TIMEOUT_S + idle_s + 60,
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"{mode} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
    result: Measure = json.loads(out.read_text(encoding="utf-8"))
    return result


def _median(runs: list[Measure], key: str) -> float:
    return float(statistics.median(float(r[key]) for r in runs))


def _row(name: str, ours: float, peer: float | None, target: str, ok: bool | None) -> str:
    peer_text = f"{peer:10.2f}" if peer is not None else f"{'—':>10}"
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return f"{name:<34}{ours:10.2f}{peer_text}   {target:<12}{verdict}"


def main(argv: list[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["--child"]:
        mode, started, out, idle = args_in[1:5]
        if mode == "bare":
            return _child_bare(float(started), Path(out))
        return _child_app(float(started), Path(out), float(idle))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50)
    parser.add_argument("--idle", type=float, default=20.0, help="idle CPU window, seconds")
    parser.add_argument(
        "--profile", metavar="FILE", help="run the app under py-spy, collapsed stacks to FILE"
    )
    args = parser.parse_args(args_in)
    if not os.environ.get("DISPLAY"):
        print("no DISPLAY: running inside tests/session.sh xembed", file=sys.stderr)
        cmd = [sys.executable, "-m", "bench.gui", *args_in]
        return subprocess.call(["bash", str(ROOT / "tests" / "session.sh"), "xembed", "--", *cmd])
    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        del os.environ["QT_QPA_PLATFORM"]

    from bench.feeds import FeedServer

    ours: list[Measure] = []
    peers: list[Measure] = []
    with FeedServer(args.sources, args.entries) as server:
        print(
            f"serving {args.sources} feeds × {args.entries} entries "
            f"({server.total_bytes / 1e6:.1f} MB) on {server.base_url}"
        )
        for run in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="lu-bgui-", dir="/tmp") as tmp:
                folder = Path(tmp)
                (folder / "bare").mkdir()
                peer = _run_child("bare", _fresh_env(folder / "bare"), folder, args.idle)
                (folder / "app").mkdir()
                env = _fresh_env(folder / "app")
                _write_config(env, server.urls)
                server.counters.take()
                mine = _run_child("app", env, folder, args.idle, args.profile)
                shutil.rmtree(folder / "app", ignore_errors=True)
            ours.append(mine)
            peers.append(peer)
            print(
                f"run {run + 1}: launch {mine['launch_s']:.2f} s (bare {peer['launch_s']:.2f}), "
                f"poll {mine['poll_s']:.1f} s, {mine['new_entries']} new, "
                f"{mine['errors']} errors, worst stall {mine['stall_ms']:.1f} ms over "
                f"{mine['beats']} beats (in the poll {mine['stall_in_poll_ms']:.1f} ms; worst "
                f"[ms, s after the result] {mine['worst']}), "
                f"RSS {mine['rss_at_result_mb']:.1f} MB when the result arrived, "
                f"idle RSS {mine['rss_mb']:.1f} MB window hidden / "
                f"{mine['open_rss_mb']:.1f} MB window open "
                f"({mine['open_rss_trimmed_mb']:.1f} after malloc_trim) "
                f"(bare {peer['rss_mb']:.1f}), idle CPU {mine['idle_cpu_s']:.3f} s hidden / "
                f"{mine['open_idle_cpu_s']:.3f} s open, each over {mine['idle_s']:.0f} s, "
                f"next poll in {mine['due_in_s']:.0f} s"
            )
            for cmd, mb in mine["children"]:
                print(f"  child process still alive when idle: {mb:.1f} MB RSS: {cmd}")

    stall = _median(ours, "stall_ms")
    rss, rss_peer = _median(ours, "rss_mb"), _median(peers, "rss_mb")
    cpu = _median(ours, "idle_cpu_s")
    rss_open, cpu_open = _median(ours, "open_rss_mb"), _median(ours, "open_idle_cpu_s")
    launch, launch_peer = _median(ours, "launch_s"), _median(peers, "launch_s")
    print()
    print(f"medians of {args.runs} runs            {'ours':>10}{'bare tray':>10}   target")
    print(_row("GUI stall during cold poll (ms)", stall, None, "≤ 30", stall <= TARGET_STALL_MS))
    print(_row("idle RSS, in the tray (MB)", rss, rss_peer, "≤ 80", rss <= TARGET_RSS_MB))
    print(_row("  … with the window open (MB)", rss_open, None, "", None))
    idle = f"{args.idle:.0f} s"
    print(_row(f"idle CPU over {idle}, tray (s)", cpu, None, "≈ 0", cpu <= TARGET_IDLE_CPU_S))
    ok_open = cpu_open <= TARGET_IDLE_CPU_S
    print(_row(f"  … window open, over {idle} (s)", cpu_open, None, "≈ 0", ok_open))
    print(_row("launch → tray icon (s)", launch, launch_peer, "≤ 0.8", launch <= TARGET_LAUNCH_S))
    print(f"{'RSS ratio ours / bare':<34}{rss / rss_peer:10.2f}")
    kids = statistics.median(sum(mb for _, mb in r["children"]) for r in ours)
    print(f"{'idle child processes RSS (MB)':<34}{kids:10.2f}   (not in idle RSS above)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
