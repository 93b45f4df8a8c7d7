"""The command line as a demanding new user meets it: odd but valid sources, wide names, long
Retry-After waits, an unreadable store, output piped into ``head`` — each against a real loopback
server and real files in a temp XDG home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.feeds import RSS, Post, json_lines, posts, rss, run_cli
from tests.support.server import LoopbackServer
from widget.cli.format import display_width
from widget.paths import AppPaths
from widget.storage.config import ConfigStore

Capsys = pytest.CaptureFixture[str]
ATOM = "application/atom+xml"


def add(capsys: Capsys, url: str, *extra: str) -> str:
    code, out, err = run_cli(capsys, "sources", "add", url, *extra)
    assert (code, err) == (0, ""), err
    return out


def cli_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        env[var] = str(home / sub)
    return env


# --- odd but valid sources, end to end ---

RSS_091_NO_GUID = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="0.91"><channel><title>Lakeside Weekly</title><link>http://example.org/</link>
<description>d</description>
<item><title>Pier reopens after repairs</title><link>http://example.org/pier</link>
<description>The pier reopened on Saturday. Anglers came back at dawn.</description></item>
<item><title>Rowing club recruits</title><description>Sign up by Friday.</description></item>
</channel></rss>"""

ATOM_XHTML = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Mountain Pass Log</title><id>urn:x:mpl</id>
<updated>2026-03-01T10:00:00+01:00</updated>
<entry><id>tag:mpl,2026:1</id><title type="html">Snow &lt;b&gt;closes&lt;/b&gt; the pass</title>
<link href="/pass/1"/><updated>2026-03-01T09:30:00+01:00</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Key points:</p>
<ul><li>Road shut above 1,800 m</li><li>Buses go through the valley</li></ul></div></content>
</entry>
<entry><id>tag:mpl,2026:2</id><title>Avalanche warning raised</title>
<link href="javascript:alert(1)"/><updated>2026-03-01T08:10:00Z</updated>
<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Level four. Stay off the slopes.
</div></summary></entry></feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://example.org/rdf"><title>Valley Observatory Notes</title>
<link>http://example.org/</link><description>d</description></channel>
<item rdf:about="http://example.org/obs/1"><title>Comet visible tonight</title>
<link>http://example.org/obs/1</link><description>Look north after ten.</description>
<dc:date>2026-03-02T21:00:00+02:00</dc:date></item></rdf:RDF>"""

JSON_FEED_11 = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Harbour Crane Updates",
    "items": [
        {
            "id": "c1",
            "content_text": "Crane two is back in service. Loading resumes at noon.",
            "date_published": "2026-03-02T07:00:00-05:00",
        }
    ],
}


def live_page(updates: list[dict[str, object]]) -> str:
    blog = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": "urn:x:council",
        "headline": "Live: Town council budget vote",
        "liveBlogUpdate": updates,
    }
    return (
        "<!doctype html><html><head><title>Council</title>"
        '<script type="application/ld+json">{ not json</script>'
        f'<script type="application/ld+json">{json.dumps(blog)}</script></head>'
        "<body><h2>Here\u2019s what to know</h2><ul><li>Budget passed</li><li>Parks cut</li></ul>"
        "</body></html>"
    )


def update(uid: str, headline: str, when: str, body: object) -> dict[str, object]:
    return {
        "@type": "BlogPosting",
        "@id": uid,
        "headline": headline,
        "datePublished": when,
        "articleBody": body,
    }


def test_odd_but_valid_sources_are_added_and_checked(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/rss091", RSS_091_NO_GUID, content_type="text/xml"))
    add(capsys, server.route("/atom", ATOM_XHTML, content_type=ATOM))
    add(capsys, server.route("/rdf", RDF, content_type="application/rdf+xml"))
    add(capsys, server.route("/json", json.dumps(JSON_FEED_11), content_type="application/json"))
    oldest_first = [
        update("u1", "Session opens", "2026-03-02T09:00:00Z", {"@type": "Text", "text": "Open."}),
        update("u2", "Vote passes", "2026-03-02T10:00:00Z", "The budget passed 7 to 2."),
    ]
    add(capsys, server.route("/live", live_page(oldest_first), content_type="text/html"))
    listed = {
        s["name"]: s["kind"] for s in json.loads(run_cli(capsys, "sources", "list", "--json")[1])
    }
    assert listed == {
        "Lakeside Weekly": "feed",
        "Mountain Pass Log": "feed",
        "Valley Observatory Notes": "feed",
        "Harbour Crane Updates": "jsonfeed",
        "Live: Town council budget vote": "livepage",
    }

    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, "")
    by_id = {e["id"]: e for e in json_lines(out)}
    # RSS 0.91 without guid: the link is the identity; without link, a content hash.
    assert by_id["http://example.org/pier"]["title"] == "Pier reopens after repairs"
    [hashed] = [e for e in by_id.values() if e["title"] == "Rowing club recruits"]
    assert hashed["url"] is None and hashed["id"]
    # Atom: html title made plain, xhtml content's list as key points, relative link resolved,
    # a javascript: link dropped.
    snow = by_id["tag:mpl,2026:1"]
    assert snow["title"] == "Snow closes the pass"
    assert snow["key_points"] == ["Road shut above 1,800 m", "Buses go through the valley"]
    assert snow["url"] == server.url("/pass/1")
    assert by_id["tag:mpl,2026:2"]["url"] is None
    assert by_id["http://example.org/obs/1"]["title"] == "Comet visible tonight"
    crane = by_id["c1"]
    assert crane["title"] == "Crane two is back in service."
    assert crane["published"] == "2026-03-02T12:00:00+00:00"
    assert by_id["u1"]["summary"] == "Open." and by_id["u2"]["title"] == "Vote passes"
    assert by_id["urn:x:council"]["key_points"] == ["Budget passed", "Parks cut"]
    assert all(e["notify"] is False for e in by_id.values())  # the baseline
    for entry in by_id.values():
        for key in ("published", "updated"):
            assert entry[key] is None or entry[key][-6] in "+-", entry

    # A new update at the end of the oldest-first list is the only thing the next check prints.
    newer = [*oldest_first, update("u3", "Mayor speaks", "2026-03-02T11:00:00Z", "Taxes flat.")]
    server.route("/live", live_page(newer), content_type="text/html")
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, "")
    assert [(e["id"], e["notify"]) for e in json_lines(out)] == [("u3", True)]


def test_a_page_that_only_links_its_feed_adds_the_feed(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    feed = server.route("/atom", ATOM_XHTML, content_type=ATOM)
    page = (
        "<html><head><title>Pass news</title>"
        '<link rel="alternate" type="application/atom+xml" href="/atom">'
        "</head><body>hi</body></html>"
    )
    out = add(capsys, server.route("/page", page, content_type="text/html"))
    assert feed in out
    # The same page again names the source it already leads to: a duplicate, exit 2.
    code, _out, err = run_cli(capsys, "sources", "add", server.url("/page"))
    assert code == 2 and "Mountain Pass Log" in err and err.count("\n") == 1


# --- what people read ---


def test_wide_characters_keep_the_columns_aligned(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/a", rss(posts(1, "a")), content_type=RSS), "--name", "Harbour 🚢")
    add(capsys, server.route("/b", rss(posts(1, "b")), content_type=RSS), "--name", "港口 news")
    add(capsys, server.route("/c", rss(posts(1, "c")), content_type=RSS), "--name", "Plain name")
    code, out, _err = run_cli(capsys, "check")
    assert code == 0
    titles = [line for line in out.splitlines() if "Ferry timetable" in line]
    assert len(titles) == 3
    # Every title starts in the same terminal column, whatever the width of the source's name.
    starts = {display_width(line[: line.index("Ferry")]) for line in titles}
    assert len(starts) == 1, out
    links = [line for line in out.splitlines() if "https://example.org/" in line]
    assert len(links) == 3
    assert {display_width(line[: line.index("http")]) for line in links} == starts

    code, out, _err = run_cli(capsys, "sources", "list")
    rows = out.splitlines()
    assert {display_width(row[: row.index("feed")]) for row in rows[1:]} == {
        display_width(rows[0][: rows[0].index("KIND")])
    }, out


def test_display_width_counts_terminal_columns() -> None:
    assert display_width("abc") == 3
    assert display_width("港口") == 4
    assert display_width("🚢") == 2
    assert display_width("e\u0301") == 1  # e + combining acute
    assert display_width("\u2764\ufe0f") == 1  # a heart with its emoji variation selector


def test_check_with_no_sources_says_how_to_add_one(home: Path, capsys: Capsys) -> None:
    code, out, err = run_cli(capsys, "check")
    assert (code, err) == (0, "")
    assert "sources add URL" in out


def test_entries_help_names_the_limit_as_in_the_readme(capsys: Capsys) -> None:
    shown = run_cli(capsys, "entries", "--help")[1]
    assert "--limit N" in shown and "LIMIT" not in shown


# --- a long Retry-After ---


def test_a_deferral_that_ends_on_another_day_names_that_day(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/busy", rss(posts(1)), content_type=RSS), "--name", "Busy")
    assert run_cli(capsys, "check", "--json")[0] == 0
    far = "Wed, 21 Oct 2037 07:28:00 GMT"  # honoured up to a day from now
    server.route("/busy", "later", status=503, headers={"Retry-After": far})
    assert run_cli(capsys, "check", "--json")[0] == 1
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, out) == (1, "")  # deferred, as the server asked: not every source was polled
    tomorrow = datetime.now(timezone.utc) + timedelta(hours=24)
    day = f"{tomorrow.day} {tomorrow:%b}"
    assert err.startswith("Busy: deferred") and err.count("\n") == 1
    assert day in err and "about 24 h" in err, err
    code, out, _err = run_cli(capsys, "sources", "list")
    [row] = [line for line in out.splitlines() if line.startswith("Busy")]
    assert f"deferred until {day}" in row, out


# --- an unreadable store ---


def corrupt_database() -> bytes:
    path = AppPaths.default().database_file
    garbage = b"these bytes are no database at all " * 100
    path.write_bytes(garbage)
    return garbage


def test_an_unreadable_store_is_reported_once_and_clearly(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/feed", rss(posts(1)), content_type=RSS), "--name", "Kept")
    run_cli(capsys, "check")
    garbage = corrupt_database()
    code, out, err = run_cli(capsys, "check")
    assert (code, out) == (2, "") and err.count("\n") == 1
    # One sentence says the file was not touched, not two.
    said = err.count("untouched") + err.count("left as it is")
    assert said == 1, err
    assert AppPaths.default().database_file.read_bytes() == garbage


def test_removing_a_source_with_an_unreadable_store_keeps_the_source(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/feed", rss(posts(2)), content_type=RSS), "--name", "Kept")
    assert run_cli(capsys, "check")[0] == 0
    garbage = corrupt_database()
    code, _out, err = run_cli(capsys, "sources", "remove", "Kept")
    assert code == 2 and err.count("\n") == 1
    config = ConfigStore(AppPaths.default().config_file).load()
    assert [s.name for s in config.sources] == ["Kept"]
    assert AppPaths.default().database_file.read_bytes() == garbage
    # Once the broken file is moved aside, removing works.
    AppPaths.default().database_file.rename(home / "broken.sqlite3")
    assert run_cli(capsys, "sources", "remove", "Kept")[0] == 0
    assert ConfigStore(AppPaths.default().config_file).load().sources == ()


# --- output piped into a reader that stops early ---


def test_a_reader_that_stops_early_gets_no_traceback(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    # One long sentence: the text output shows it as a key point, so both outputs overflow a pipe.
    long_text = "A long sentence about the ferry timetable" + " and its many changes" * 20 + "."
    many = [
        Post(f"p{i}", f"Ferry change {i}", f"https://example.org/{i}", long_text)
        for i in range(400)
    ]
    add(capsys, server.route("/feed", rss(many), content_type=RSS), "--name", "Many")
    assert run_cli(capsys, "check", "--json")[0] == 0
    for argv in (["entries", "--json", "--limit", "400"], ["entries", "--limit", "400"]):
        proc = subprocess.Popen(
            [sys.executable, "-m", "widget", *argv],
            env=cli_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.read(100)
        proc.stdout.close()  # like `| head -c 100`
        err = proc.stderr.read()
        proc.stderr.close()
        code = proc.wait(timeout=120)
        assert first and err == b"", err.decode(errors="replace")
        assert code == 141, argv


# --- a password typed into a URL ---


def test_a_password_in_the_url_is_refused_without_echoing_it(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    server.route("/feed", rss(posts(1)), content_type=RSS)
    url = server.url("/feed").replace("http://", "http://alice:hunter2sea@")
    code, out, err = run_cli(capsys, "sources", "add", url)
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert "keyring" in err and "hunter2sea" not in err
    assert not AppPaths.default().config_file.exists() or "hunter2sea" not in (
        AppPaths.default().config_file.read_text(encoding="utf-8")
    )


# --- names that would split a line ---


def test_a_name_with_line_breaks_stays_on_one_line(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    add(capsys, url, "--name", "Two\nlines\tand  spaces ")
    code, out, _err = run_cli(capsys, "sources", "list")
    assert code == 0 and len(out.splitlines()) == 2
    assert out.splitlines()[1].startswith("Two lines and spaces  ")
    server.route("/feed", "down", status=500)
    code, _out, err = run_cli(capsys, "check")
    assert code == 1 and err == "Two lines and spaces: HTTP 500 Internal Server Error\n"
    code, _out, _err = run_cli(capsys, "sources", "edit", "Two lines and spaces", "--name", "A\nB")
    assert code == 0
    assert [s.name for s in ConfigStore(AppPaths.default().config_file).load().sources] == ["A B"]


# --- Ctrl-C during a check ---


def test_ctrl_c_ends_a_check_that_waits_on_a_silent_server(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    import signal
    import threading
    from http.server import BaseHTTPRequestHandler

    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    add(capsys, url, "--name", "Quiet harbour")
    release = threading.Event()
    asked = threading.Event()

    def silent(h: BaseHTTPRequestHandler) -> None:  # accepts, then never answers
        asked.set()
        release.wait(60)

    server.route("/feed", handler=silent)
    proc = subprocess.Popen(
        [sys.executable, "-m", "widget", "check"],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert asked.wait(30), "the check never asked the server"
        proc.send_signal(signal.SIGINT)
        # The request deadline is 30 s: a check that joins its fetch threads would still run.
        _, err = proc.communicate(timeout=15)
    finally:
        release.set()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130
    assert b"Traceback" not in err, err.decode(errors="replace")
