"""Feeds shaped like real publishers' feeds, added and polled through the command line.

The feeds in ``tests/fixtures/feeds_more/`` are served from the loopback server, added with
``live-updates sources add`` and polled with ``check --json``. Each case states what a reader
would see: the titles (entities decoded once), links resolved against ``xml:base``, the key
points of an announced list, and summaries without media credits.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.feeds import json_lines, run_cli
from tests.support.server import LoopbackServer

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds_more"
Capsys = pytest.CaptureFixture[str]

CASES: list[dict[str, Any]] = [
    {
        "file": "de-iso-8859-1.xml",
        "content_type": "application/rss+xml",  # no charset: the XML declaration decides
        "kind": "feed",
        "entries": {
            "a1001": {
                "title": "Straßensperrung in Überlingen: Brücke wird geprüft",
                "url": "https://www.suedkurier-ticker.example/region/ueberlingen-bruecke-a1001.html",
                "published": "2026-03-05T13:05:00+00:00",
                "key_points": [
                    "Umleitung über die Seestraße",
                    "Busse halten an der Ersatzhaltestelle",
                    "Fußgänger dürfen die Brücke weiter nutzen",
                ],
                "summary_has": ["Die Brücke über die Bahnlinie bleibt bis Freitag gesperrt"],
            },
            "a1000": {
                "title": "Fähre nach Meersburg fährt wieder nach Plan",
                "url": "https://www.suedkurier-ticker.example/region/faehre-meersburg-a1000.html",
                "published": "2026-03-05T10:30:00+00:00",
                "summary_has": ["Viertelstundentakt – auch am Wochenende"],
            },
        },
    },
    {
        "file": "atom-xml-base.xml",
        "content_type": "application/atom+xml; charset=utf-8",
        "kind": "feed",
        "entries": {
            "tag:coastline-daily.example,2026:live/77": {
                "title": "Storm live: what we know & what comes next",
                "url": "https://www.coastline-daily.example/news/2026/03/05/storm-live.html",
                "published": "2026-03-05T09:00:00+00:00",
                "key_points": [
                    "Winds peaked at 110 km/h on the cape",
                    "The ferry service is suspended until morning",
                    "Power is out in 2,000 homes",
                ],
                "summary_has": ["The storm is expected to ease overnight"],
                "summary_not": ["<p>", "&lt;"],
            },
            "tag:coastline-daily.example,2026:sport/12": {
                "title": "Harbour regatta postponed",
                "url": "https://www.coastline-daily.example/sport/regatta-postponed",
                "summary_has": ["Organisers moved the regatta to next Saturday"],
            },
        },
    },
    {
        "file": "rss-key-points-media.xml",
        "content_type": "application/rss+xml; charset=utf-8",
        "kind": "feed",
        "entries": {
            "https://www.riverside-broadcast.example/news/flood-barrier": {
                "title": "Flood barrier holds as river peaks",
                "url": "https://www.riverside-broadcast.example/news/flood-barrier",
                "published": "2026-03-05T15:20:00+00:00",
                "key_points": [
                    "The barrier held at the highest level in ten years",
                    "Two roads by the river are closed",
                    "Sandbags are available at the town hall",
                ],
                "summary_not": ["Photo credit line", "Agency Photographer"],
            },
            "https://www.riverside-broadcast.example/news/footbridge": {
                "title": "Council approves new footbridge",
                "url": "https://www.riverside-broadcast.example/news/footbridge",
                "summary_has": ["The footbridge will link the two halves of the park"],
                "summary_not": ["Video: the footbridge plans"],
            },
        },
    },
    {
        "file": "jsonfeed-es-untitled.json",
        "content_type": "application/feed+json",
        "kind": "json_feed",
        "entries": {
            "hl-301": {
                "url": "https://harbour-live.example/directo/temporal#hl-301",
                "published": "2026-03-05T15:00:00+00:00",
                "key_points": [
                    "Olas de seis metros en la costa",
                    "Puertos cerrados hasta el sábado",
                ],
            },
            "hl-300": {
                "title": "Protección Civil activa la alerta naranja",
                "url_ends": "/directo/temporal#hl-300",
                "published": "2026-03-05T13:30:00+00:00",
            },
        },
    },
]
CLI_KIND = {"feed": "feed", "json_feed": "jsonfeed"}


def _norm(text: str) -> str:
    text = " ".join(text.split())
    return text[:-1] if text.endswith(".") else text


def _problems(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = []
    if "title" in want and _norm(got["title"]) != _norm(want["title"]):
        problems.append(f"title {got['title']!r}, expected {want['title']!r}")
    if not got["title"].strip():
        problems.append("empty title")
    if "url" in want and got["url"] != want["url"]:
        problems.append(f"url {got['url']!r}, expected {want['url']!r}")
    if "url_ends" in want and not (
        (got["url"] or "").startswith(("http://", "https://"))
        and got["url"].endswith(want["url_ends"])
    ):
        problems.append(f"url {got['url']!r}, expected an absolute URL ending {want['url_ends']!r}")
    if "published" in want:
        when = got["published"] and datetime.fromisoformat(got["published"].replace("Z", "+00:00"))
        if when != datetime.fromisoformat(want["published"]):
            problems.append(f"published {got['published']!r}, expected {want['published']!r}")
    if "key_points" in want and [_norm(p) for p in got["key_points"]] != [
        _norm(p) for p in want["key_points"]
    ]:
        problems.append(f"key points {got['key_points']!r}, expected {want['key_points']!r}")
    summary = got["summary"] or ""
    problems += [f"summary lacks {s!r}: {summary!r}" for s in want.get("summary_has", ())
                 if s not in summary]  # fmt: skip
    for where, text in [("summary", summary), *(("key point", p) for p in got["key_points"])]:
        problems += [f"{s!r} in the {where} {text!r}" for s in want.get("summary_not", ())
                     if s in text]  # fmt: skip
    return problems


@pytest.mark.parametrize("case", [pytest.param(c, id=Path(c["file"]).stem) for c in CASES])
def test_feed(case: dict[str, Any], home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    body = (FEEDS / case["file"]).read_bytes()
    url = server.route("/" + case["file"], body, content_type=case["content_type"])
    code, _out, err = run_cli(capsys, "sources", "add", url)
    assert code == 0, f"sources add refused the feed: {err.strip()}"
    code, out, err = run_cli(capsys, "sources", "list", "--json")
    [source] = json.loads(out)
    assert (source["url"], source["kind"]) == (url, CLI_KIND[case["kind"]])
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, ""), err
    by_id = {e["id"]: e for e in json_lines(out)}
    problems = []
    if set(by_id) != set(case["entries"]):
        problems.append(f"entry ids {sorted(by_id)!r}, expected {sorted(case['entries'])!r}")
    for ident, want in case["entries"].items():
        if ident in by_id:
            problems += [f"{ident}: {p}" for p in _problems(want, by_id[ident])]
    assert not problems, f"{case['file']}:\n  " + "\n  ".join(problems)
