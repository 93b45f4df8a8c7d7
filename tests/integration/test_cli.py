"""The command-line contract, run as a user would: real server, real files in a temp XDG home."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.support.feeds import RSS, Post, json_lines, posts, rss, run_cli
from tests.support.server import LoopbackServer
from widget import __version__
from widget.paths import AppPaths
from widget.storage.db import Database

ENTRY_KEYS = {
    "source", "source_url", "id", "title", "url", "published", "updated", "summary",
    "key_points", "notify",
}  # fmt: skip

Capsys = pytest.CaptureFixture[str]


def add(capsys: Capsys, url: str, *extra: str) -> None:
    code, _out, err = run_cli(capsys, "sources", "add", url, *extra)
    assert (code, err) == (0, ""), err


def sources_json(capsys: Capsys) -> list[dict[str, object]]:
    import json

    code, out, err = run_cli(capsys, "sources", "list", "--json")
    assert code == 0 and err == ""
    listed = json.loads(out)
    assert isinstance(listed, list)
    return listed


# --- sources add / list / remove ---


def test_sources_add_records_the_feed_under_its_title(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = server.route("/feed", rss(posts(2), title="Riverside Gazette"), content_type=RSS)
    code, out, err = run_cli(capsys, "sources", "add", url)
    assert code == 0 and err == ""
    assert "Riverside Gazette" in out
    [source] = sources_json(capsys)
    assert source["name"] == "Riverside Gazette"
    assert source["url"] == url
    assert source["kind"] == "feed"
    assert source["interval_minutes"] == 15
    assert source["enabled"] is True
    assert {"id", "notify", "disabled_reason", "last_error", "last_checked"} <= source.keys()
    # Nothing stored yet: no entries, and the first check fetches unconditionally.
    assert json_lines(run_cli(capsys, "entries", "--json")[1]) == []


def test_sources_add_stores_no_validators(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    body = rss(posts(1))
    url = server.route("/feed", body, headers={"ETag": '"x1"', "Content-Type": RSS})
    add(capsys, url)
    run_cli(capsys, "check", "--json")
    first_check = server.requests_for("/feed")[1]
    assert "if-none-match" not in first_check.headers


def test_sources_add_with_name_and_interval(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    add(capsys, url, "--name", "Ferries", "--interval", "3")
    [source] = sources_json(capsys)
    assert (source["name"], source["interval_minutes"]) == ("Ferries", 3)


def test_sources_add_follows_autodiscovery(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    feed = server.route("/rss.xml", rss(posts(1), title="Valley Weather"), content_type=RSS)
    page = server.route(
        "/",
        '<html><head><title>Valley home</title><link rel="alternate" '
        'type="application/rss+xml" href="/rss.xml"></head><body>Hello</body></html>',
        content_type="text/html",
    )
    add(capsys, page)
    [source] = sources_json(capsys)
    assert source["url"] == feed


@pytest.mark.parametrize("flag", ["url", "name"])
def test_sources_add_refuses_a_duplicate(
    flag: str, home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    one = server.route("/one", rss(posts(1), title="Same Title"), content_type=RSS)
    two = server.route("/two", rss(posts(1), title="Other"), content_type=RSS)
    add(capsys, one, "--name", "Mine")
    argv = [one] if flag == "url" else [two, "--name", "mine"]
    code, _out, err = run_cli(capsys, "sources", "add", *argv)
    assert code == 2
    assert "already" in err
    assert len(sources_json(capsys)) == 1


def test_a_default_name_that_is_taken_gets_a_number(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/one", rss(posts(1), title="Daily"), content_type=RSS))
    add(capsys, server.route("/two", rss(posts(1), title="Daily"), content_type=RSS))
    assert [s["name"] for s in sources_json(capsys)] == ["Daily", "Daily (2)"]


@pytest.mark.parametrize(
    ("path", "body", "status", "ctype"),
    [
        ("/missing", "", 404, "text/plain"),
        (
            "/plain",
            "<html><head><title>No feed</title></head><body>x</body></html>",
            200,
            "text/html",
        ),
        ("/empty", "", 200, RSS),
    ],
)
def test_sources_add_of_a_url_without_a_source_fails_and_records_nothing(
    path: str, body: str, status: int, ctype: str,
    home: Path, server: LoopbackServer, capsys: Capsys,
) -> None:  # fmt: skip
    url = server.route(path, body, status=status, content_type=ctype)
    if path == "/missing":
        url = server.url(path + "-nowhere")
    code, _out, err = run_cli(capsys, "sources", "add", url)
    assert code == 1
    assert url in err and err.count("\n") == 1
    assert sources_json(capsys) == []


def test_sources_add_rejects_a_bad_interval(home: Path, capsys: Capsys) -> None:
    code, _out, err = run_cli(capsys, "sources", "add", "http://127.0.0.1:9/x", "--interval", "0")
    assert code == 2 and "interval" in err


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (
            "htp:/example.org/feed",
            "not a web address: only http and https URLs can be added, not htp:",
        ),
        ("http:/example.org/feed", "not a complete web address: write http://"),
        ("mailto:desk@example.org", "only http and https URLs can be added, not mailto:"),
        ("https:///feed", "it names no host"),
        ("not a url", "'not a url' is not a web address"),
        ("notaurl", "'notaurl' is not a web address"),
        ("https://not a url/feed", "is not a web address"),
    ],
)
def test_sources_add_of_something_that_is_not_a_web_address_says_so(
    home: Path, capsys: Capsys, typed: str, said: str
) -> None:
    code, _out, err = run_cli(capsys, "sources", "add", typed)
    assert code == 2 and said in err and "not resolved" not in err
    assert sources_json(capsys) == []


def test_sources_add_takes_a_host_and_port_without_a_scheme(
    home: Path, capsys: Capsys, server: LoopbackServer
) -> None:
    server.route("/desk.xml", body=rss(posts(2)), content_type="application/rss+xml")
    host_port = server.url("/desk.xml").split("://", 1)[1]  # 127.0.0.1:PORT/desk.xml
    code, _out, err = run_cli(capsys, "sources", "add", "http://" + host_port)
    assert code == 0, err
    code, _out, err = run_cli(capsys, "sources", "add", host_port)
    # https:// is added and the loopback server speaks plain http: it fails to connect, but as
    # a fetch of that host and port, not as a malformed address
    assert "not a web address" not in err and "127.0.0.1" in err


def test_sources_list_for_people_is_aligned(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/a", rss(posts(1)), content_type=RSS), "--name", "A")
    add(capsys, server.route("/b", rss(posts(1)), content_type=RSS), "--name", "Longer name")
    code, out, _err = run_cli(capsys, "sources", "list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert lines[1].startswith("A ") and lines[2].startswith("Longer name")
    assert lines[1].index("feed") == lines[2].index("feed") == lines[0].index("KIND")
    assert "never" in lines[1]


def test_sources_remove_forgets_the_source_and_its_entries(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/a", rss(posts(2, prefix="a")), content_type=RSS), "--name", "A")
    add(capsys, server.route("/b", rss(posts(1, prefix="b")), content_type=RSS), "--name", "B")
    run_cli(capsys, "check")
    code, _out, err = run_cli(capsys, "sources", "remove", "a")
    assert code == 0 and err == ""
    assert [s["name"] for s in sources_json(capsys)] == ["B"]
    assert {e["source"] for e in json_lines(run_cli(capsys, "entries", "--json")[1])} == {"B"}


def test_sources_remove_of_an_unknown_name_is_a_usage_error(home: Path, capsys: Capsys) -> None:
    code, _out, err = run_cli(capsys, "sources", "remove", "Nowhere")
    assert code == 2 and "Nowhere" in err


# --- check ---


def test_check_baseline_then_only_the_new_entry(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = server.route("/feed", rss(posts(2), title="Port News"), content_type=RSS)
    add(capsys, url)
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, "")
    first = json_lines(out)
    assert len(first) == 2
    assert all(set(e) == ENTRY_KEYS for e in first)
    assert [e["notify"] for e in first] == [False, False]
    assert {e["id"] for e in first} == {"p-1", "p-2"}
    assert first[0]["source"] == "Port News" and first[0]["source_url"] == url
    assert first[0]["published"] == "2026-03-02T10:00:00+00:00"
    assert isinstance(first[0]["key_points"], list)

    newer = Post(
        "p-3",
        "Harbour bridge reopens tonight",
        "https://example.org/p/3",
        "<p>Repairs are done.</p><p>Traffic resumes at nine.</p>",
        "Mon, 02 Mar 2026 11:00:00 +0000",
    )
    edited = Post("p-1", "Ferry timetable change number 1 (corrected)", "https://example.org/p/1")
    server.route("/feed", rss([newer, edited, posts(2)[1]], title="Port News"), content_type=RSS)
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, "")
    [new] = json_lines(out)
    assert new["id"] == "p-3" and new["notify"] is True
    assert new["title"] == "Harbour bridge reopens tonight"
    assert new["url"] == "https://example.org/p/3"
    assert new["summary"].startswith("Repairs are done.")

    assert json_lines(run_cli(capsys, "check", "--json")[1]) == []


def test_check_reports_a_failed_source_on_one_line_and_keeps_the_others(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    good = server.route("/good", rss(posts(1)), content_type=RSS)
    flaky = server.route("/flaky", rss(posts(1, prefix="f")), content_type=RSS)
    add(capsys, good, "--name", "Good")
    add(capsys, flaky, "--name", "Flaky")
    server.route("/flaky", "broken", status=500, content_type="text/plain")
    code, out, err = run_cli(capsys, "check", "--json")
    assert code == 1
    assert [e["source"] for e in json_lines(out)] == ["Good"]
    assert err.count("\n") == 1 and err.startswith("Flaky: ")
    assert "500" in err
    [flaky_status] = [s for s in sources_json(capsys) if s["name"] == "Flaky"]
    assert flaky_status["last_error"]


def test_check_defers_a_source_under_retry_after(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = server.route("/feed", rss(posts(1)), content_type=RSS)
    add(capsys, url, "--name", "Busy")
    server.route(
        "/feed", "later", status=429, headers={"Retry-After": "3600", "Content-Type": "text/plain"}
    )
    code, _out, err = run_cli(capsys, "check")
    assert code == 1 and err.startswith("Busy: ")
    code, _out, err = run_cli(capsys, "check")
    assert code == 1  # not every source was polled
    assert err.startswith("Busy: deferred") and err.count("\n") == 1
    assert len(server.requests_for("/feed")) == 2  # the add and the first check only


def test_check_for_people_shows_relative_times_and_bullets(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    body = "<p>Here's what to know:</p><ul><li>The bridge is open</li><li>Buses run again</li></ul>"
    recent = format_datetime(datetime.now(timezone.utc) - timedelta(hours=3))
    older = "Mon, 02 Mar 2026 10:00:00 +0000"
    url = server.route(
        "/feed",
        rss(
            [
                Post("x", "Bridge update", "https://example.org/x", body, recent),
                Post("y", "Earlier note", None, "", older),
            ]
        ),
        content_type=RSS,
    )
    add(capsys, url, "--name", "Town")
    code, out, err = run_cli(capsys, "check")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("3 h ago") and "Town" in lines[0] and "Bridge update" in lines[0]
    assert "  • The bridge is open" in out and "  • Buses run again" in out
    assert "https://example.org/x" in out
    [earlier] = [line for line in lines if "Earlier note" in line]
    assert earlier.startswith("2 Mar ")
    assert earlier.index("Town") == lines[0].index("Town")  # aligned columns


def test_check_with_no_sources_succeeds(home: Path, capsys: Capsys) -> None:
    assert run_cli(capsys, "check", "--json") == (0, "", "")


# --- entries ---


def test_entries_newest_first_with_limit_and_source(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    a = [
        Post(f"a{i}", f"Alpha story {i}", None, "", f"Mon, 02 Mar 2026 0{i}:00:00 +0000")
        for i in range(1, 4)
    ]
    b = [Post("b1", "Beta story", None, "", "Mon, 02 Mar 2026 05:00:00 +0000")]
    add(capsys, server.route("/a", rss(a), content_type=RSS), "--name", "Alpha")
    add(capsys, server.route("/b", rss(b), content_type=RSS), "--name", "Beta")
    run_cli(capsys, "check")
    code, out, err = run_cli(capsys, "entries", "--json")
    assert [e["title"] for e in json_lines(out)] == [
        "Beta story", "Alpha story 3", "Alpha story 2", "Alpha story 1"
    ]  # fmt: skip
    assert all(set(e) == ENTRY_KEYS for e in json_lines(out))
    out = run_cli(capsys, "entries", "--json", "--limit", "2")[1]
    assert [e["title"] for e in json_lines(out)] == ["Beta story", "Alpha story 3"]
    out = run_cli(capsys, "entries", "--json", "--source", "alpha", "--limit", "1")[1]
    assert [e["title"] for e in json_lines(out)] == ["Alpha story 3"]
    code, out, err = run_cli(capsys, "entries", "--source", "Gamma")
    assert code == 2 and "Gamma" in err


# --- entry point, help, app hand-off ---


def test_version(capsys: Capsys) -> None:
    code, out, _err = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == f"live-updates {__version__}"


def test_unknown_command_is_a_usage_error(capsys: Capsys) -> None:
    code, _out, err = run_cli(capsys, "frobnicate")
    assert code == 2 and "invalid choice" in err


def test_without_a_command_and_without_the_app_it_prints_help(
    home: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "widget.gui.app", None)  # the app module is not there
    code, out, _err = run_cli(capsys)
    assert code == 0 and "usage: live-updates" in out and "check" in out


def test_without_a_command_it_starts_the_app(
    home: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    fake = types.ModuleType("widget.gui.app")

    def run_app(argv: list[str]) -> int:
        calls.append(argv)
        return 0

    fake.run_app = run_app  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "widget.gui.app", fake)
    assert run_cli(capsys, "--demo")[0] == 0
    assert run_cli(capsys)[0] == 0
    assert calls == [["--demo"], []]


def _subprocess(home: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        env[var] = str(home / sub)
    return subprocess.run(
        [sys.executable, "-m", "widget", *argv],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_python_dash_m_widget_is_the_command(home: Path, server: LoopbackServer) -> None:
    done = _subprocess(home, "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"live-updates {__version__}"

    ok = server.route("/ok", rss(posts(1)), content_type=RSS)
    gone = server.route("/gone", rss(posts(1, prefix="g")), content_type=RSS)
    assert _subprocess(home, "sources", "add", ok, "--name", "Ok").returncode == 0
    assert _subprocess(home, "sources", "add", gone, "--name", "Gone").returncode == 0
    server.route("/gone", "gone", status=410, content_type="text/plain")
    done = _subprocess(home, "check", "--json")
    assert done.returncode == 1
    assert done.stderr == "Gone: the server says this source is gone (HTTP 410)\n"
    assert [e["source"] for e in json_lines(done.stdout)] == ["Ok"]
    listed = _subprocess(home, "sources", "list", "--json")
    assert '"disabled_reason": "the server says this source is gone (HTTP 410)"' in listed.stdout
    assert '"enabled": false' in listed.stdout
    # A disabled source is not polled again, so the next check is clean.
    done = _subprocess(home, "check", "--json")
    assert (done.returncode, done.stderr, done.stdout) == (0, "", "")
    log_file = AppPaths.default().log_file
    assert log_file.exists() and "Gone" in log_file.read_text(encoding="utf-8")


def test_verbose_shows_log_messages_on_stderr(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(500)
        h.send_header("Content-Length", "0")
        h.end_headers()

    add(capsys, server.route("/feed", rss(posts(1)), content_type=RSS), "--name", "Shaky")
    server.route("/feed", handler=handler)
    quiet = run_cli(capsys, "check")
    loud = run_cli(capsys, "--verbose", "check")
    assert quiet[2].count("\n") == 1
    assert loud[2].count("\n") > 1 and "Shaky" in loud[2]


def test_the_database_is_shared_with_readers(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    add(capsys, server.route("/feed", rss(posts(2)), content_type=RSS), "--name", "Shared")
    reader = Database.open(AppPaths.default().database_file, readonly=True)
    try:
        run_cli(capsys, "check")
        assert len(reader.entries()) == 2
    finally:
        reader.close()


def test_the_bundled_sample_feed_works_end_to_end(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    from importlib.resources import files

    sample = files("widget.resources").joinpath("samples/sample-feed.xml").read_bytes()
    add(capsys, server.route("/sample.xml", sample, content_type=RSS))
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, "")
    entries = json_lines(out)
    assert len(entries) == 4 and not any(e["notify"] for e in entries)
    assert {e["source"] for e in entries} == {"Live Updates sample: Lakeside storm"}
    by_id = {e["id"]: e for e in entries}
    assert by_id["sample-storm-4"]["key_points"] == [
        "Nine in ten homes have power again",
        "The east bank follows by midnight",
        "Schools open as usual tomorrow",
    ]


def test_sources_remove_without_a_keyring_only_warns(
    home: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    from widget.core.models import AuthKind, Config, Source, SourceKind
    from widget.storage.config import ConfigStore

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
    private = Source(
        id="priv", name="Private", url="http://127.0.0.1:9/feed", kind=SourceKind.FEED,
        auth=AuthKind.BASIC, username="reader",
    )  # fmt: skip
    ConfigStore(AppPaths.default().config_file).save(Config(sources=(private,)))
    code, out, err = run_cli(capsys, "sources", "remove", "Private")
    assert code == 0 and "Removed" in out
    assert err.startswith("warning:") and "keyring" in err.lower()
    assert sources_json(capsys) == []


def _live_page(url: str) -> str:
    import json

    posting = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": url,
        "headline": "Marathon day: live",
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "@id": url + "#u1", "headline": "Runners set off",
             "articleBody": "The first wave started on time.",
             "datePublished": "2026-03-02T08:00:00Z"},
        ],
    }  # fmt: skip
    return (
        "<html><head><title>Marathon day</title>"
        f'<script type="application/ld+json">{json.dumps(posting)}</script></head>'
        "<body><h2>Key points</h2><ul><li>Roads close at seven</li><li>Trams run late</li></ul>"
        "</body></html>"
    )


def _json_feed(url: str) -> str:
    import json

    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Orchard Notes",
            "home_page_url": "https://example.org/",
            "items": [{"id": "j1", "title": "Apple harvest begins", "content_text": "Early."}],
        }
    )


@pytest.mark.parametrize(
    ("kind", "ctype", "title", "interval"),
    [
        ("livepage", "text/html; charset=utf-8", "Marathon day: live", 5),
        ("jsonfeed", "application/feed+json", "Orchard Notes", 15),
    ],
)
def test_sources_add_detects_live_pages_and_json_feeds(
    kind: str, ctype: str, title: str, interval: int,
    home: Path, server: LoopbackServer, capsys: Capsys,
) -> None:  # fmt: skip
    url = server.url("/source")
    body = _live_page(url) if kind == "livepage" else _json_feed(url)
    server.route("/source", body, content_type=ctype)
    add(capsys, url)
    [source] = sources_json(capsys)
    assert (source["kind"], source["name"], source["interval_minutes"]) == (kind, title, interval)
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, "")
    titles = {e["title"] for e in json_lines(out)}
    assert ("Runners set off" if kind == "livepage" else "Apple harvest begins") in titles
    if kind == "livepage":
        [page] = [e for e in json_lines(out) if e["id"] == url]
        assert page["key_points"] == ["Roads close at seven", "Trams run late"]


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://127.0.0.1/feed.xml", "  "]
)
def test_sources_add_accepts_only_web_urls(url: str, home: Path, capsys: Capsys) -> None:
    code, out, err = run_cli(capsys, "sources", "add", url)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert sources_json(capsys) == []


def test_sources_add_without_a_scheme_means_https(home: Path, capsys: Capsys) -> None:
    # Nothing listens on port 9 of 127.0.0.1: the fetch fails, naming the https URL it tried.
    code, _out, err = run_cli(capsys, "sources", "add", "127.0.0.1:9/feed.xml")
    assert code == 1 and "https://127.0.0.1:9/feed.xml" in err
