"""The third to sixth sets of live pages shaped like real publishers' pages
(``livepages/more2/`` … ``livepages/more5/``).

Each page of ``expected_more2.json`` … ``expected_more5.json`` (same schema as ``expected.json``)
is detected by ``discover.detect`` from its bytes, as ``sources add`` does, and its entries
are compared with what a reader of the page would expect: the number of updates, their titles,
links and dates, the page's own key points, and that no site chrome shows up. A few pages of
each set also go through the command line (``sources add`` + ``check --json`` against the
loopback server), as the other sets do.

``more2`` holds tickers in the layouts publishers use (day sections, embeds, definition lists,
tables, a heading before its time), bullet-line key points and local clocks under UTC
metadata. ``more3`` holds sports tickers whose posts open with the match minute ("45+2'", "67e",
"12' pt", "HT") instead of a clock time, and pages that write their posts' times only into data
attributes (``data-timestamp``, ``data-time``) for a script to show. ``more4`` holds pages whose
posts give only a relative age ("vor 3 Minuten", "il y a 2 heures", "12 dakika önce"), dated from
the page's own last change, in more languages (Swedish, Norwegian, Czech, Romanian, Turkish),
posts whose only address is their share tools' "Copy link", and "Pinned" / "Key event" flags
before a "16:35 GMT+1" clock. ``more5`` holds key-points boxes that are no list (short
paragraphs, one paragraph of ``<br>`` lines, ``<div>`` items with a bullet icon, an ARIA list, a
box at the page's end, a LiveBlogPosting's ``abstract``) and posts as ``<article>``s with their
own ``<header>``, social embeds, image captions and ad slots between them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_livepages import CLI_KIND, FIXTURES, _check_page, _serve
from tests.support.feeds import json_lines, run_cli
from tests.support.server import LoopbackServer
from widget.core.models import Item, ParsedSource, SourceKind
from widget.sources import discover

SETS = ("more2", "more3", "more4", "more5")
EXPECTED: dict[str, list[dict[str, Any]]] = {
    name: json.loads((FIXTURES / f"expected_{name}.json").read_text("utf-8")) for name in SETS
}
URL = "https://pages.example/live/{name}"
# Pages also run through the command line: in more2 one per language family of time formats; in
# more3 sports minutes (with and without structured data, states and halves) and a page whose
# times are only in data attributes; in more4 relative ages dated by the page's meta, by a
# JSON-LD NewsArticle's dates, and share-tool permalinks; in more5 a box of paragraphs with
# posts and ad slots, a box of <br> lines with an Instagram embed, and a JSON-LD abstract.
THROUGH_CLI = {
    "more2/de-day-sections-liveblog.html",
    "more2/tickaroo-tik4-utc-meta.html",
    "more2/pl-definition-list-ticker.html",
    "more2/fr-bullet-paragraph-summary.html",
    "more3/en-gb-football-minutes-ht-ft.html",
    "more3/de-liveticker-minutes-jsonld-no-updates.html",
    "more3/it-cronaca-minuti-pt-st.html",
    "more3/nl-ol-reversed-data-time-pinned.html",
    "more4/de-vor-minuten-std-ticker.html",
    "more4/fr-time-il-y-a-newsarticle-dates.html",
    "more4/en-us-just-now-share-query-permalinks.html",
    "more5/en-gb-key-points-paragraphs-article-header-ads.html",
    "more5/de-wichtigste-br-lines-instagram-captions.html",
    "more5/en-jsonld-abstract-no-key-points-list.html",
}
CASES = [case for name in SETS for case in EXPECTED[name]]

Capsys = pytest.CaptureFixture[str]


def _as_cli(item: Item) -> dict[str, Any]:
    """An item as ``check --json`` prints it (the keys ``_check_page`` reads)."""
    return {
        "id": item.id,
        "title": item.title,
        "url": item.url,
        "published": item.published.isoformat() if item.published else None,
        "summary": item.summary,
        "key_points": list(item.key_points),
    }


def _case_id(case: dict[str, Any]) -> str:
    return Path(case["file"]).stem


@pytest.mark.parametrize("case", [pytest.param(c, id=_case_id(c)) for c in CASES])
def test_detect_reads_the_page_as_its_reader_does(case: dict[str, Any]) -> None:
    url = URL.format(name=_case_id(case))
    body = (FIXTURES / case["file"]).read_bytes()
    found = discover.detect(body, {"content-type": case["content_type"]}, url)
    assert isinstance(found, ParsedSource), f"not a live page: {found!r}"
    assert found.kind is SourceKind.LIVE_PAGE
    problems = _check_page(case, url, [_as_cli(i) for i in found.items])
    assert not problems, f"{case['file']} ({case['cms_shape']}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=_case_id(c)) for c in CASES if c["file"] in THROUGH_CLI]
)
def test_live_page_through_the_command_line(
    case: dict[str, Any], home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    url = _serve(server, case)
    code, _out, err = run_cli(capsys, "sources", "add", url)
    assert code == 0, f"sources add refused the live page: {err.strip()}"
    code, out, err = run_cli(capsys, "sources", "list", "--json")
    [source] = json.loads(out)
    assert (source["url"], source["kind"]) == (url, CLI_KIND[case["kind"]])
    code, out, err = run_cli(capsys, "check", "--json")
    assert (code, err) == (0, ""), err
    problems = _check_page(case, url, json_lines(out))
    assert not problems, f"{case['file']} ({case['cms_shape']}):\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("name", SETS)
def test_the_expected_file_describes_every_page_of_its_set(name: str) -> None:
    cases = EXPECTED[name]
    described = {c["file"] for c in cases}
    pages = {f"{name}/{p.name}" for p in (FIXTURES / name).glob("*.html")}
    assert described == pages
    assert len(pages) >= 8
    assert described >= {f for f in THROUGH_CLI if f.startswith(f"{name}/")}
    shapes = {c["cms_shape"] for c in cases}
    assert len(shapes) == len(cases)
    for case in cases:
        assert case["kind"] == "live_page"
        assert len(case["titles"]) == len(case["links"]) == case["updates"], case["file"]
        assert len(case.get("published", case["titles"])) == case["updates"], case["file"]
        assert all(link.startswith(("{page}", "https://")) for link in case["links"])
