"""Live-page parsing time: ours (everything a user reads) against extruct (JSON-LD + microdata).

For every fixture page in tests/fixtures/livepages/ and for the hostile and large pages built by
tests/fixtures/livepages/hostile.py, times ``discover.detect`` (one parse: main content, key
points, JSON-LD, microdata, ticker, items) and, on the same bytes in the same run,
``extruct.extract(syntaxes=["json-ld", "microdata"])``. Prints per-page medians, the median and
the worst over the fixture set, and the ratio.

Targets: median over the fixture pages ≤ 0.5× extruct's; worst hostile page ≤ 1 s.

    python -m bench.livepages [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "livepages"


def _time(function: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import extruct  # the bench extra: pip install -e '.[bench]'

    from tests.fixtures.livepages import hostile
    from widget.core.errors import ParseError
    from widget.sources import discover

    expected = json.loads((FIXTURES / "expected.json").read_text("utf-8"))
    pages = [(c["file"], (FIXTURES / c["file"]).read_bytes(), c["content_type"]) for c in expected]
    url = "https://news.example/live"

    from widget.core import urls

    def ours(body: bytes, ctype: str) -> Callable[[], object]:
        def run() -> object:
            urls.safe_url.cache_clear()  # each run starts cold, as each poll process does
            try:
                return discover.detect(body, {"content-type": ctype}, url)
            except ParseError as exc:
                return exc

        return run

    def peer(body: bytes) -> Callable[[], object]:
        return lambda: extruct.extract(
            body, base_url=url, syntaxes=["json-ld", "microdata"], uniform=False
        )

    print(f"{'page':44} {'KB':>7} {'ours ms':>9} {'extruct ms':>11} {'ratio':>7}")
    mine: list[float] = []
    theirs: list[float] = []
    for name, body, ctype in pages:
        a = _time(ours(body, ctype), args.runs)
        b = _time(peer(body), args.runs)
        mine.append(a)
        theirs.append(b)
        print(
            f"{name[:44]:44} {len(body) / 1024:7.0f} {a * 1e3:9.2f} {b * 1e3:11.2f} {a / b:6.2f}×"
        )
    med_a, med_b = statistics.median(mine), statistics.median(theirs)
    ratio = med_a / med_b
    print("-" * 82)
    verdict = "met" if ratio <= 0.5 else "MISSED"
    print(
        f"{'fixture median':44} {'':7} {med_a * 1e3:9.2f} {med_b * 1e3:11.2f} {ratio:6.2f}×"
        f"   target ≤ 0.5× {verdict}"
    )
    print(f"{'fixture worst':44} {'':7} {max(mine) * 1e3:9.2f} {max(theirs) * 1e3:11.2f}")
    print()
    worst = 0.0
    for name, build in hostile.BUILDERS.items():
        body = build()
        a = _time(ours(body, "text/html; charset=utf-8"), max(1, args.runs // 2))
        b = _time(peer(body), 1)
        worst = max(worst, a)
        print(
            f"{name[:44]:44} {len(body) / 1024:7.0f} {a * 1e3:9.1f} {b * 1e3:11.1f} {a / b:6.2f}×"
        )
    verdict = "met" if worst <= 1.0 else "MISSED"
    print(f"worst hostile or large page: {worst:.3f} s   target ≤ 1 s {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
