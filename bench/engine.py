"""Engine benchmark: our poll cycle against the ``reader`` library on the same loopback server.

    python -m bench.engine [--runs 3] [--sources 200] [--entries 50] [--profile]

200 sources × 50 entries (half RSS 2.0, half Atom, ~2 KB of HTML with a bullet list per entry)
are served from 127.0.0.1 with ETag / Last-Modified. Each measured poller runs in a fresh process
with fresh XDG folders: a cold poll (every source new), then a warm poll (every source answers
304). Wall time, CPU seconds (all threads of the process) and the process's peak RSS are
reported as medians, side by side with reader's and the targets. (Our poll runs in one process:
fetch threads, one parse thread, the store written on the polling thread.)

``--profile`` runs our cold and warm poll once in this process under cProfile and prints the
functions with the most cumulative and own time instead.

Then the limits: loading a config of 2,000 and 8,000 sources (median of 3, target ≤ 0.2 s for
8,000: it is paid by every command and every poll), and one RSS feed of 180,000 entries parsed,
stored and pruned to 500 in a fresh process (wall time and peak RSS). ``--limits`` prints only
these.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.feeds import FeedServer

ROOT = Path(__file__).resolve().parent.parent
TARGET_COLD = 0.35  # our cold wall time ≤ 0.35 × reader's
TARGET_WARM = 0.5  # our warm wall time ≤ 0.5 × reader's
TARGET_RSS_MB = 120.0

Measure = dict[str, Any]


def _stats(base_url: str) -> dict[str, int]:
    """Responses the server sent since the last call, by status."""
    with urllib.request.urlopen(base_url + "/_stats", timeout=10) as resp:
        raw: dict[str, int] = json.load(resp)
    return {k: int(v) for k, v in raw.items()}


def _timed(action: Callable[[], int]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (every thread of the process), result."""
    wall, cpu = time.perf_counter(), time.process_time()
    count = action()
    return time.perf_counter() - wall, time.process_time() - cpu, count


def _use_fresh_dirs(workdir: Path) -> None:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        path = workdir / var.lower()
        path.mkdir()
        os.environ[var] = str(path)


# --- the measured pollers (each runs in its own process) ---------------------------------------


def _ours(urls: list[str], base_url: str) -> Measure:
    from widget.core.models import Config, Source, SourceKind
    from widget.engine.poll import Engine
    from widget.paths import AppPaths
    from widget.storage.config import ConfigStore, new_source_id
    from widget.storage.db import Database

    paths = AppPaths.default()
    paths.ensure()
    store = ConfigStore(paths.config_file)
    sources = tuple(
        Source(id=new_source_id(), name=f"Desk {i}", url=url, kind=SourceKind.FEED)
        for i, url in enumerate(urls)
    )
    store.save(Config(sources=sources))
    db = Database.open(paths.database_file)
    # 200 sources on one loopback host: no 2 s pacing (reader does not pace either)
    engine = Engine(store, db, host_gap_s=0)

    def poll() -> int:
        result = engine.poll(force=True)
        failed = [r for r in result.results if r.error]
        if failed:
            raise RuntimeError(f"{len(failed)} sources failed, e.g. {failed[0].error}")
        return len(result.new_entries)

    _stats(base_url)
    try:
        cold = _timed(poll)
        cold_status = _stats(base_url)
        warm = _timed(poll)
        warm_status = _stats(base_url)
    finally:
        engine.close()
        db.close()
    return _measure(cold, warm, cold_status, warm_status)


def _reader(urls: list[str], base_url: str) -> Measure:
    from reader import make_reader

    reader = make_reader(os.path.join(os.environ["XDG_DATA_HOME"], "reader.sqlite"))

    def cold() -> int:
        for url in urls:
            reader.add_feed(url)
        # scheduled=False: every feed, as our force=True (the default would skip warm feeds).
        reader.update_feeds(scheduled=False)
        return int(reader.get_entry_counts().total or 0)

    def warm() -> int:
        before = int(reader.get_entry_counts().total or 0)
        reader.update_feeds(scheduled=False)
        return int(reader.get_entry_counts().total or 0) - before

    _stats(base_url)
    try:
        cold_m = _timed(cold)
        cold_status = _stats(base_url)
        warm_m = _timed(warm)
        warm_status = _stats(base_url)
    finally:
        reader.close()
    return _measure(cold_m, warm_m, cold_status, warm_status)


def _measure(
    cold: tuple[float, float, int],
    warm: tuple[float, float, int],
    cold_status: dict[str, int],
    warm_status: dict[str, int],
) -> Measure:
    return {
        "cold_wall": cold[0],
        "cold_cpu": cold[1],
        "cold_new": cold[2],
        "warm_wall": warm[0],
        "warm_cpu": warm[1],
        "warm_new": warm[2],
        "cold_status": cold_status,
        "warm_status": warm_status,
        # Linux reports ru_maxrss in KiB.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


POLLERS: dict[str, Callable[[list[str], str], Measure]] = {"ours": _ours, "reader": _reader}

# --- limits: a big config, a huge feed -----------------------------------------------------------

TARGET_CONFIG_S = 0.2  # loading 8,000 sources
CONFIG_SIZES = (2_000, 8_000)
HUGE_FEED_ITEMS = 180_000


def _config_load_seconds(count: int, runs: int = 3) -> float:
    from widget.core.models import Config, Source, SourceKind
    from widget.storage.config import ConfigStore

    with tempfile.TemporaryDirectory(prefix="bench-config-") as tmp:
        store = ConfigStore(Path(tmp) / "config.json")
        sources = tuple(
            Source(
                id=f"{n:012x}",
                name=f"Desk {n}",
                url=f"https://news{n}.example/feed.xml",
                kind=SourceKind.FEED,
                include=("storm", "/gale|squall/i") if n % 10 == 0 else (),
            )
            for n in range(count)
        )
        store.save(Config(sources=sources))
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            loaded = store.load()
            times.append(time.perf_counter() - started)
        assert len(loaded.sources) == count
    return float(statistics.median(times))


def _huge_feed_child() -> None:
    """In a fresh process: parse one RSS feed of HUGE_FEED_ITEMS entries, store it, keep 500."""
    import io
    from datetime import datetime, timezone

    from widget.core.models import FetchState, Source, SourceKind
    from widget.sources.feed import parse_feed
    from widget.storage.db import Database

    buffer = io.BytesIO()
    buffer.write(
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Huge</title>'
        b"<link>https://news.example/</link>"
    )
    for n in range(HUGE_FEED_ITEMS):
        buffer.write(
            f"<item><guid>urn:bench:{n}</guid><title>Ferry timetable change {n}</title>"
            f"<link>https://news.example/{n}</link><description>Crossing {n} moved."
            "</description></item>".encode()
        )
    buffer.write(b"</channel></rss>")
    body = buffer.getvalue()
    del buffer
    source = Source(id="huge", name="Huge", url="https://news.example/feed", kind=SourceKind.FEED)
    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory(prefix="bench-huge-") as tmp:
        db = Database.open(Path(tmp) / "entries.sqlite3")
        started = time.perf_counter()
        parsed = parse_feed(body, {"content-type": "application/rss+xml"}, source.url)
        now = datetime.now(timezone.utc)
        db.apply_items(
            source,
            parsed.items,
            now=now,
            baseline=True,
            notify=lambda item: False,
            state=FetchState(source.id),
        )
        db.prune(now, max_per_source=500)
        wall = time.perf_counter() - started
        kept = len(db.entries())
        db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "wall": wall,
                "peak_rss_mb": peak,
                "body_mb": len(body) / 1e6,
                "before_mb": baseline_rss,
                "parsed": len(parsed.items),
                "kept": kept,
            }
        )
    )


def _limits_report() -> str:
    lines = ["limits:"]
    for count in CONFIG_SIZES:
        seconds = _config_load_seconds(count)
        verdict = ""
        if count == max(CONFIG_SIZES):
            verdict = f"   target ≤ {TARGET_CONFIG_S} s " + (
                "met" if seconds <= TARGET_CONFIG_S else "MISSED"
            )
        lines.append(f"  config load, {count:>5} sources: {seconds:6.3f} s (median of 3){verdict}")
    cmd = [sys.executable, "-m", "bench.engine", "--child-huge-feed"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"bench: the huge feed failed:\n{out.stderr}")
    m = json.loads(out.stdout.strip().splitlines()[-1])
    lines.append(
        f"  {HUGE_FEED_ITEMS:,}-entry RSS feed ({m['body_mb']:.1f} MB): parse + store + keep 500 "
        f"{m['wall']:.2f} s, peak RSS {m['peak_rss_mb']:.0f} MB (body built: "
        f"{m['before_mb']:.0f} MB); {m['parsed']} entries read, {m['kept']} kept"
    )
    return "\n".join(lines)


def _child(name: str, urls_file: Path, base_url: str) -> None:
    urls = json.loads(urls_file.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        _use_fresh_dirs(Path(tmp))
        measure = POLLERS[name](urls, base_url)
    print(json.dumps(measure))


def _run_child(name: str, urls_file: Path, base_url: str) -> Measure:
    cmd = [sys.executable, "-m", "bench.engine", "--child", name, str(urls_file), base_url]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"bench: the {name} poller failed:\n{out.stderr}")
    measure: Measure = json.loads(out.stdout.strip().splitlines()[-1])
    return measure


# --- report ------------------------------------------------------------------------------------


def _median(runs: list[Measure], key: str) -> float:
    return float(statistics.median(float(r[key]) for r in runs))


def _table(ours: list[Measure], peer: list[Measure]) -> str:
    rows = [
        ("cold poll, wall s", "cold_wall", f"≤ {TARGET_COLD}×"),
        ("cold poll, CPU s", "cold_cpu", ""),
        ("warm poll, wall s", "warm_wall", f"≤ {TARGET_WARM}×"),
        ("warm poll, CPU s", "warm_cpu", ""),
        ("peak RSS, MB", "peak_rss_mb", f"≤ {TARGET_RSS_MB:.0f} MB"),
    ]
    lines = [f"{'':<20}{'ours':>10}{'reader':>10}{'ratio':>9}   target", "-" * 62]
    for label, key, target in rows:
        a, b = _median(ours, key), _median(peer, key)
        ratio = a / b if b else float("inf")
        if key == "cold_wall":
            verdict = "met" if ratio <= TARGET_COLD else "MISSED"
        elif key == "warm_wall":
            verdict = "met" if ratio <= TARGET_WARM else "MISSED"
        elif key == "peak_rss_mb":
            verdict = "met" if a <= TARGET_RSS_MB else "MISSED"
        else:
            verdict = ""
        lines.append(f"{label:<20}{a:>10.3f}{b:>10.3f}{ratio:>8.2f}×   {target} {verdict}".rstrip())
    return "\n".join(lines)


def _describe(name: str, runs: list[Measure]) -> str:
    first = runs[0]
    return (
        f"{name}: cold stored {first['cold_new']} new entries, responses {first['cold_status']}; "
        f"warm {first['warm_new']} new, responses {first['warm_status']}"
    )


def _profile(server: FeedServer) -> None:
    import cProfile
    import pstats

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        _use_fresh_dirs(Path(tmp))
        profiler = cProfile.Profile()
        profiler.enable()
        measure = _ours(server.urls, server.base_url)
        profiler.disable()
    print(f"cold {measure['cold_wall']:.2f} s, warm {measure['warm_wall']:.2f} s (under cProfile)")
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per poller (median; ≥ 3)")
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--entries", type=int, default=50, help="entries per source")
    parser.add_argument("--profile", action="store_true", help="cProfile our poll instead")
    parser.add_argument("--limits", action="store_true", help="only the config and feed limits")
    parser.add_argument("--child-huge-feed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child", nargs=3, metavar=("POLLER", "URLS_FILE", "BASE_URL"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)

    if args.child:
        name, urls_file, base_url = args.child
        _child(name, Path(urls_file), base_url)
        return 0
    if args.child_huge_feed:
        _huge_feed_child()
        return 0
    if args.limits:
        print(_limits_report())
        return 0
    if args.runs < 3:
        parser.error("--runs must be at least 3 (the report is a median)")

    with FeedServer(args.sources, args.entries) as server:
        print(
            f"serving {args.sources} sources × {args.entries} entries "
            f"({server.total_bytes / 1e6:.1f} MB) at {server.base_url}"
        )
        if args.profile:
            _profile(server)
            return 0
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            urls_file = Path(tmp) / "urls.json"
            urls_file.write_text(json.dumps(server.urls), encoding="utf-8")
            results: dict[str, list[Measure]] = {name: [] for name in POLLERS}
            for run in range(1, args.runs + 1):
                for name in POLLERS:  # interleaved, so both see the same machine state
                    m = _run_child(name, urls_file, server.base_url)
                    results[name].append(m)
                    print(
                        f"run {run} {name:<6} cold {m['cold_wall']:6.2f} s  "
                        f"warm {m['warm_wall']:6.3f} s  peak {m['peak_rss_mb']:5.1f} MB",
                        flush=True,
                    )
    print()
    for name, runs in results.items():
        print(_describe(name, runs))
    print(f"\nmedians of {args.runs} runs (each poller in a fresh process, fresh data folder):")
    print(_table(results["ours"], results["reader"]))
    print()
    print(_limits_report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
