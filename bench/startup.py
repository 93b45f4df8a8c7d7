"""Start-up of the frozen bundle next to the pip-installed app, with smoke tests of both.

    python -m bench.startup --bundle build/pyinstaller/dist/live-updates \
        --pip .venv/bin/live-updates
    python -m bench.startup --pip .venv/bin/live-updates     # the installed app alone

For each app, in fresh XDG folders: ``--version`` must print the version; ``sources add`` and
``check --json`` against a feed on a loopback server must succeed and print its entries; the tray
app (``--demo``, Qt offscreen) must reach "started" in its log and stop cleanly on SIGTERM.
Then the median wall time of each over ``--runs`` runs, side by side, and the bundle's size
against its target. Exit status 1 when a smoke test fails or the bundle is over the target.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.feeds import FeedServer
from widget import APP_SLUG, __version__
from widget.unattended import Unattended

SIZE_TARGET_MB = 120.0
GUI_READY = "8/8 started"
GUI_TIMEOUT_S = 60.0


class SmokeFailure(Exception):
    """The app did not do what a user would expect."""


@dataclass
class Result:
    name: str
    command: Path
    times: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"  # no session bus: nothing outside the run
    env.update(
        Unattended(url_log=home / "opened-urls", host_gap_s=0).as_environment()
    )  # no dialogs
    return env


def _run(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SmokeFailure(
            f"`{' '.join(command[1:])}` exited {done.returncode}: {done.stderr.strip()[-800:]}"
        )
    return elapsed, done.stdout


def _version(app: Path, env: dict[str, str]) -> float:
    elapsed, out = _run([str(app), "--version"], env)
    if out.strip() != f"{APP_SLUG} {__version__}":
        raise SmokeFailure(f"--version printed {out.strip()!r}")
    return elapsed


def _check(app: Path, env: dict[str, str], expected: int) -> float:
    elapsed, out = _run([str(app), "check", "--json"], env)
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(lines) != expected or any(e["source"] != "Loopback" for e in lines):
        raise SmokeFailure(f"check --json printed {len(lines)} entries, expected {expected}")
    return elapsed


def _gui(app: Path, env: dict[str, str]) -> float:
    """Seconds from launch until the tray app logs that it has started; then SIGTERM."""
    log_file = Path(env["XDG_STATE_HOME"]) / APP_SLUG / "log" / f"{APP_SLUG}.log"
    seen = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(app), "--demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        while True:
            text = log_file.read_text(encoding="utf-8") if log_file.exists() else ""
            if GUI_READY in text[len(seen) :]:
                elapsed = time.perf_counter() - start
                break
            if proc.poll() is not None or time.perf_counter() - start > GUI_TIMEOUT_S:
                raise SmokeFailure(
                    f"the tray app did not start (exit {proc.poll()}): {text[len(seen) :][-800:]}"
                )
            time.sleep(0.02)
        # (the SIGTERM handler is installed just after the log line: give it a moment)
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=30)
        if proc.returncode != 0:
            raise SmokeFailure(f"the tray app exited {proc.returncode} on SIGTERM: {err[-800:]}")
        return elapsed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def measure(name: str, app: Path, url: str, runs: int, entries: int) -> Result:
    result = Result(name, app)
    steps: list[tuple[str, Callable[[dict[str, str]], float]]] = [
        ("--version", lambda env: _version(app, env)),
        ("check --json", lambda env: _check(app, env, entries)),
        ("tray app start", lambda env: _gui(app, env)),
    ]
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix=f"{APP_SLUG}-startup-") as tmp:
            env = _env(Path(tmp))
            try:
                _run([str(app), "sources", "add", url, "--name", "Loopback"], env)
            except SmokeFailure as exc:
                result.failures.append(f"sources add: {exc}")
                return result
            for step, call in steps:
                try:
                    result.times.setdefault(step, []).append(call(env))
                except (SmokeFailure, subprocess.TimeoutExpired, OSError) as exc:
                    result.failures.append(f"{step}: {exc}")
                    return result
    return result


def folder_mb(folder: Path) -> float:
    """Bytes on disk in MB (PyInstaller's symlinks to libraries are not counted twice)."""
    files = (p for p in folder.rglob("*") if not p.is_symlink() and p.is_file())
    return sum(p.stat().st_size for p in files) / 1e6


def report(results: list[Result], bundle: Path | None, max_mb: float, runs: int) -> int:
    status = 0
    print(f"\nStart-up, median of {runs} runs (wall seconds, fresh process each):")
    steps = ["--version", "check --json", "tray app start"]
    print(f"  {'':16}" + "".join(f"{r.name:>14}" for r in results))
    for step in steps:
        cells = []
        for r in results:
            values = r.times.get(step, [])
            cells.append(f"{statistics.median(values):>13.3f}s" if values else f"{'—':>14}")
        print(f"  {step:16}" + "".join(cells))
    if len(results) == 2 and all(r.times.get(s) for r in results for s in steps):
        ratios = [
            statistics.median(results[0].times[s]) / statistics.median(results[1].times[s])
            for s in steps
        ]
        print(f"  {'ratio':16}" + "".join(f"{x:>13.2f}×" for x in ratios))
    for r in results:
        for failure in r.failures:
            print(f"FAILED ({r.name}, {r.command}): {failure}")
            status = 1
    if bundle is not None:
        size = folder_mb(bundle)
        verdict = "ok" if size <= max_mb else "OVER TARGET"
        print(f"\nBundle size: {size:.1f} MB in {bundle} (target ≤ {max_mb:.0f} MB: {verdict})")
        if size > max_mb:
            status = 1
    print("\nsmoke tests:", "passed" if status == 0 else "FAILED")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="the PyInstaller one-folder bundle")
    parser.add_argument("--pip", type=Path, help="the pip-installed live-updates command")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-mb", type=float, default=SIZE_TARGET_MB)
    args = parser.parse_args(argv)
    apps: list[tuple[str, Path]] = []
    if args.bundle is not None:
        apps.append(("bundle", args.bundle / APP_SLUG))
    if args.pip is not None:
        apps.append(("pip install", args.pip))
    if not apps:
        parser.error("give --bundle, --pip or both")
    entries = 10
    with FeedServer(count=1, entries=entries) as server:
        url = server.urls[0]
        results = [measure(name, app, url, args.runs, entries) for name, app in apps]
    return report(results, args.bundle, args.max_mb, args.runs)


if __name__ == "__main__":
    sys.exit(main())
