"""Live pages shaped like real publishers' pages, checked through the command line.

Each page in ``tests/fixtures/livepages/`` (described in ``expected.json``) is served from a
loopback server at ``/<file>``, added with ``live-updates sources add`` and polled with
``live-updates check --json``. The test then compares what a careful reader of the page would
expect: the source stays a live page, the number of updates, their titles and links, the page's
own key points, and that no site chrome (menus, account links, share buttons, cookie text, footer
links) turns up in any title, summary or key point.

``{page}`` in ``expected.json`` stands for the URL the page is served at. All problems of one
page are reported together, so a single run shows everything that is wrong with it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support.feeds import RSS, Post, json_lines, rss, run_cli
from tests.support.server import LoopbackServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "livepages"
EXPECTED: list[dict[str, Any]] = json.loads((FIXTURES / "expected.json").read_text("utf-8"))
CLI_KIND = {"live_page": "livepage"}  # expected.json's kind → the kind `sources list` prints

Capsys = pytest.CaptureFixture[str]

# A clock time at the start or end of a point, apart from the text by white space: a point may keep
# it ("20:42 Stones thrown") or drop it, never glue it to a word ("thrown20:42").
_TIME = r"\d{1,2}[:.h]\d{2}(?:\s?(?:Uhr|uur|IST|GMT|BST|CET|ET|[ap]\.?m\.?))?"
_LEADING_TIME = re.compile(rf"^{_TIME}\s+")
_TRAILING_TIME = re.compile(rf"\s+{_TIME}$")


def _norm(text: str) -> str:
    """White space collapsed; one final full stop dropped (a first sentence used as a title)."""
    text = " ".join(text.split())
    return text[:-1] if text.endswith(".") else text


def _same_point(actual: str, expected: str) -> bool:
    want = _norm(expected)
    got = _norm(actual)
    return want in (got, _norm(_LEADING_TIME.sub("", got)), _norm(_TRAILING_TIME.sub("", got)))


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _contains(haystack: str, needle: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", haystack) is not None


def _serve(server: LoopbackServer, case: dict[str, Any]) -> str:
    body = (FIXTURES / case["file"]).read_bytes()
    url = server.route("/" + case["file"], body, content_type=case["content_type"])
    if "site_feed" in case:  # the site's generic feed, which must not replace the live page
        feed = rss(
            [Post("site-1", "Site-wide headline from the generic feed", "https://x.example/1")]
        )
        server.route(case["site_feed"], feed, content_type=RSS)
    return url


def _fill(value: str, page: str) -> str:
    return value.replace("{page}", page)


def _check_page(case: dict[str, Any], page: str, entries: list[dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    page_ids = {_fill(i, page) for i in case["page_ids"]}
    pages = [e for e in entries if e["id"] in page_ids]
    updates = [e for e in entries if e["id"] not in page_ids]
    if len(pages) != 1:
        problems.append(f"expected one page entry (id in {sorted(page_ids)}), got {len(pages)}")
    else:
        [entry] = pages
        if _norm(entry["title"]) != _norm(case["page_title"]):
            problems.append(f"page title {entry['title']!r}, expected {case['page_title']!r}")
        got_points = entry["key_points"]
        want_points = case["page_key_points"]
        if len(got_points) != len(want_points) or not all(
            _same_point(g, w) for g, w in zip(got_points, want_points, strict=True)
        ):
            problems.append(f"page key points {got_points!r}, expected {want_points!r}")

    if len(updates) != case["updates"]:
        problems.append(f"{len(updates)} updates, expected {case['updates']}")
    got_titles = Counter(_norm(u["title"]) for u in updates)
    want_titles = Counter(_norm(t) for t in case["titles"])
    if got_titles != want_titles:
        problems.append(
            f"titles: missing {sorted((want_titles - got_titles).elements())!r}, "
            f"unexpected {sorted((got_titles - want_titles).elements())!r}"
        )

    null_urls = [u["title"] for u in updates if not u["url"]]
    if null_urls:
        problems.append(f"updates without a url: {null_urls!r}")
    got_links = Counter((_norm(u["title"]), u["url"]) for u in updates)
    want_links = Counter(
        (_norm(t), _fill(link, page)) for t, link in zip(case["titles"], case["links"], strict=True)
    )
    if got_links != want_links:
        problems.append(
            f"links: missing {sorted((want_links - got_links).elements())!r}, "
            f"unexpected {sorted((got_links - want_links).elements())!r}"
        )

    if "published" in case:
        by_title = {_norm(u["title"]): _instant(u["published"]) for u in updates}
        for title, when in zip(case["titles"], case["published"], strict=True):
            got = by_title.get(_norm(title))
            if when is not None and _norm(title) in by_title and got != _instant(when):
                problems.append(f"published of {title!r}: {got}, expected {when}")

    for title, points in case.get("update_key_points", {}).items():
        matching = [u for u in updates if _norm(u["title"]) == _norm(title)]
        if matching and [_norm(p) for p in matching[0]["key_points"]] != [_norm(p) for p in points]:
            problems.append(
                f"key points of {title!r}: {matching[0]['key_points']!r}, expected {points!r}"
            )

    for entry in entries:
        texts = [("title", entry["title"]), ("summary", entry["summary"] or "")]
        texts += [("key point", p) for p in entry["key_points"]]
        for where, text in texts:
            leaked = [s for s in case["must_not_contain"] if _contains(text, s)]
            if leaked:
                problems.append(f"chrome {leaked!r} in the {where} {text[:120]!r}")
    return problems


@pytest.mark.parametrize("case", [pytest.param(c, id=Path(c["file"]).stem) for c in EXPECTED])
def test_live_page(
    case: dict[str, Any], home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = _serve(server, case)
    code, _out, err = run_cli(capsys, "sources", "add", url)
    assert code == 0, f"sources add refused the live page: {err.strip()}"
    code, out, err = run_cli(capsys, "sources", "list", "--json")
    [source] = json.loads(out)
    assert (source["url"], source["kind"]) == (url, CLI_KIND[case["kind"]]), (
        "the pasted live page must stay the source, as a live page"
    )

    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, ""), err
    checked = json_lines(out)
    problems = _check_page(case, url, checked)

    code, out, err = run_cli(
        capsys, "entries", "--json", "--limit", "1000", "--source", source["name"]
    )
    assert code == 0, err
    stored = json_lines(out)
    if len(stored) != len(checked):
        problems.append(f"check printed {len(checked)} entries, the store holds {len(stored)}")
    assert not problems, f"{case['file']} ({case['cms_shape']}):\n  " + "\n  ".join(problems)


def test_an_article_that_links_a_feed_adds_the_feed(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    """A page that is not a live page but names its feed in <link rel=alternate> adds that feed."""
    body = (FIXTURES / "not-live-article-with-feed.html").read_bytes()
    page = server.route("/features/lighthouse", body, content_type="text/html; charset=utf-8")
    feed = server.route(
        "/site/rss.xml",
        rss([Post("cw-1", "Harbour wall repairs begin", "https://coast.example/wall")]),
        content_type=RSS,
    )
    code, _out, err = run_cli(capsys, "sources", "add", page)
    assert code == 0, err
    code, out, _err = run_cli(capsys, "sources", "list", "--json")
    [source] = json.loads(out)
    assert (source["url"], source["kind"]) == (feed, "feed")
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, "")
    assert [e["title"] for e in json_lines(out)] == ["Harbour wall repairs begin"]


def test_expected_json_describes_every_page() -> None:
    """Every fixture page has its expectations, and the expectations are consistent."""
    described = {c["file"] for c in EXPECTED}
    pages = {p.name for p in FIXTURES.glob("*.html")} - {"not-live-article-with-feed.html"}
    assert described == pages
    assert len(pages) >= 26
    for case in EXPECTED:
        assert case["kind"] == "live_page"
        assert len(case["titles"]) == len(case["links"]) == case["updates"], case["file"]
        assert len(case.get("published", case["titles"])) == case["updates"], case["file"]
        assert all(link.startswith(("{page}", "https://")) for link in case["links"])
