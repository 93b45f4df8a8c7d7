"""RSS 0.91/2.0, RDF and Atom through feed.parse_feed, including hostile and broken bodies."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from tests.fixtures import load
from tests.support.server import LoopbackServer
from widget.core import text
from widget.core.errors import ParseError
from widget.core.models import SourceKind
from widget.sources.feed import parse_feed

XML = {"content-type": "application/rss+xml"}
BASE = "https://final.example/feeds/main.xml"


def rss(items: str, *, head: str = '<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        f'{head}<rss version="2.0"><channel><title>Test Channel</title>'
        f"<link>https://final.example/</link>{items}</channel></rss>"
    ).encode()


def test_rss20_entries_dates_summary_and_key_points() -> None:
    parsed = parse_feed(load("rss20.xml"), XML, BASE)
    assert parsed.kind is SourceKind.FEED
    assert parsed.title == "Harbour City & Bay Live"
    assert parsed.link == "https://harbour.example/live"
    assert parsed.warnings == ()
    first, second = parsed.items
    assert first.id == "harbour-2041"
    assert first.title == "Storm barrier closes for the night"
    assert first.url == "https://harbour.example/live/storm-barrier"
    assert first.published == datetime(2026, 3, 3, 20, 15, tzinfo=timezone.utc)
    assert first.summary == "Engineers lowered the barrier at dusk. Traffic is diverted."
    assert first.key_points == (
        "The barrier stays down until 6am.",
        "Buses use the inland route.",
        "Ferries are cancelled.",
    )
    assert not first.is_page
    # a relative link is resolved against the final URL after redirects
    assert second.url == "https://final.example/live/ferries"
    assert second.key_points == ("All ferries stay in port tonight.",)


def test_rss091_without_guid_uses_link_verbatim_as_identity() -> None:
    parsed = parse_feed(load("rss091.xml"), {"content-type": "text/xml"}, BASE)
    assert [i.id for i in parsed.items] == [
        "/news/ferry-timetable",
        "https://gazette.example/news/reading-room",
    ]
    assert parsed.items[0].url == "https://final.example/news/ferry-timetable"
    assert parsed.items[0].summary.startswith("The ferry will leave ten minutes earlier on")
    assert "<b>" not in parsed.items[0].summary
    assert parsed.items[0].published is None


def test_rdf_rss10() -> None:
    parsed = parse_feed(load("rdf.xml"), {"content-type": "application/rdf+xml"}, BASE)
    assert parsed.title == "Orchard Notes"
    (item,) = parsed.items
    assert item.title == "First blossom of the year"
    assert item.url == "https://orchard.example/notes/blossom"
    # dc:date says when the item last changed; there is no separate publication date
    assert item.updated == datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)
    assert item.id == "https://orchard.example/notes/blossom"


def test_atom_html_title_relative_links_and_both_dates() -> None:
    parsed = parse_feed(load("atom.xml"), {"content-type": "application/atom+xml"}, BASE)
    assert parsed.title == "Mountain Rail Updates"
    first, second = parsed.items
    assert first.id == "tag:rail.example,2026:update-7"
    assert first.title == "Line reopens after landslide"
    assert first.url == "https://final.example/updates/line-reopens"
    assert first.published == datetime(2026, 3, 4, 7, 0, tzinfo=timezone.utc)
    assert first.updated == datetime(2026, 3, 4, 7, 45, tzinfo=timezone.utc)
    assert first.key_points == ("Hourly service", "Speed limit on the repaired section")
    assert first.summary == "Trains run again between the two valleys."
    # a plain-text title keeps its "<" as a character
    assert second.title == "Timetable for a < b comparison"
    assert second.published is None
    assert second.updated == datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc)


def test_windows_1252_declared_in_xml() -> None:
    body = rss(
        "<item><guid>w1</guid><title>Caf\u00e9 \u201cfigures\u201d \u20ac5</title></item>",
        head='<?xml version="1.0" encoding="windows-1252"?>',
    ).decode()
    parsed = parse_feed(body.encode("cp1252"), XML, BASE)
    assert parsed.items[0].title == "Caf\u00e9 \u201cfigures\u201d \u20ac5"


def test_windows_1252_given_only_by_the_content_type_header() -> None:
    body = rss(
        "<item><guid>w2</guid><title>Na\u00efve \u2018quotes\u2019</title></item>",
        head='<?xml version="1.0"?>',
    ).decode()
    headers = {"content-type": "text/xml; charset=windows-1252"}
    parsed = parse_feed(body.encode("cp1252"), headers, BASE)
    assert parsed.items[0].title == "Na\u00efve \u2018quotes\u2019"


def test_windows_1252_with_no_charset_anywhere_is_still_read() -> None:
    body = rss("<item><guid>w3</guid><title>Cr\u00e8me br\u00fbl\u00e9e</title></item>")
    body = body.replace(b' encoding="utf-8"', b"").decode().encode("cp1252")
    parsed = parse_feed(body, {"content-type": "text/xml"}, BASE)
    assert parsed.items[0].title == "Cr\u00e8me br\u00fbl\u00e9e"
    assert parsed.warnings == ()  # a charset mix-up is not "malformed XML"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    doc = rss(
        "<item><guid>u1</guid><title>\u65e5\u672c \u00e9t\u00e9</title></item>",
        head='<?xml version="1.0" encoding="utf-16"?>',
    ).decode()
    body = ("\ufeff" + doc).encode(codec)
    # the header even claims UTF-8: the byte-order mark wins
    parsed = parse_feed(body, {"content-type": "application/xml; charset=utf-8"}, BASE)
    assert parsed.title == "Test Channel"
    assert parsed.items[0].title == "\u65e5\u672c \u00e9t\u00e9"


def test_malformed_xml_keeps_what_parsed_and_warns() -> None:
    body = rss(
        "<item><guid>m1</guid><title>Bridge closed</title></item>"
        "<item><guid>m2</guid><title>Tunnel & bypass open</title></item>"
        "<item><guid>m3</guid><title>Cut off"
    )[: -len("</channel></rss>")]
    parsed = parse_feed(body, XML, BASE)
    assert [i.id for i in parsed.items][:2] == ["m1", "m2"]
    assert parsed.items[1].title == "Tunnel & bypass open"
    assert len(parsed.warnings) == 1
    assert parsed.warnings[0].startswith("malformed XML, kept what parsed: ")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty body"),
        (b"   \n", "empty body"),
        (b"<!DOCTYPE html><html><head><title>Shop</title></head><body></body></html>", "HTML"),
        (b"<html><body><p>Moved</p></body></html>", "HTML"),
        (b"just some words, no markup at all", "no RSS, RDF or Atom feed"),
        (b"<?xml version='1.0'?><catalog><book/></catalog>", "no RSS, RDF or Atom feed"),
    ],
)
def test_bodies_without_a_feed_are_a_clear_parse_error(body: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_feed(body, XML, BASE)


def test_a_body_that_looks_like_a_url_is_never_fetched(server: LoopbackServer) -> None:
    target = server.route("/secret-feed.xml", rss("<item><guid>s</guid><title>x</title></item>"))
    with pytest.raises(ParseError):
        parse_feed(target.encode(), XML, BASE)
    assert server.requests_for("/secret-feed.xml") == []


def test_a_body_that_looks_like_a_path_is_never_read(tmp_path: Path) -> None:
    local = tmp_path / "local.xml"
    local.write_bytes(rss("<item><guid>p</guid><title>from disk</title></item>"))
    with pytest.raises(ParseError):
        parse_feed(str(local).encode(), XML, BASE)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY a "laughlaughlaughlaughlaughlaughlaughlaughlaughlaughlaughlaugh">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel><title>Bomb</title>
<item><guid>b1</guid><title>Kept &g;</title><description>&g;</description></item>
</channel></rss>"""


def test_billion_laughs_is_not_expanded() -> None:
    parsed = parse_feed(BILLION_LAUGHS, XML, BASE)
    (item,) = parsed.items
    assert item.id == "b1"
    assert "laughlaugh" not in item.title + item.summary
    assert any("entity" in w for w in parsed.warnings)


def test_quadratic_blowup_entity_is_not_expanded() -> None:
    value = "x" * 20_000
    refs = "&big;" * 20_000  # 400 MB once expanded
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY big "{value}">]>'
        f'<rss version="2.0"><channel><title>Q</title>'
        f"<item><guid>q1</guid><title>Quadratic</title><description>{refs}</description></item>"
        f"</channel></rss>"
    ).encode()
    parsed = parse_feed(body, XML, BASE)
    assert parsed.items[0].title == "Quadratic"
    assert "xxxxxxxxxx" not in parsed.items[0].summary


def test_quadratic_blowup_in_utf16_is_not_expanded() -> None:
    doc = (
        f'<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY big "{"y" * 5000}">]>'
        f'<rss version="2.0"><channel><title>Q</title>'
        f"<item><guid>q2</guid><title>Wide</title><description>{'&big;' * 5000}</description>"
        f"</item></channel></rss>"
    )
    parsed = parse_feed(("\ufeff" + doc).encode("utf-16-le"), XML, BASE)
    assert parsed.items[0].title == "Wide"
    assert "yyyyyyyyyy" not in parsed.items[0].summary


def test_small_character_entities_still_work() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY mdash "&#8212;">]>'
        b'<rss version="2.0"><channel><title>E</title>'
        b"<item><guid>e1</guid><title>Before &mdash; after</title></item></channel></rss>"
    )
    parsed = parse_feed(body, XML, BASE)
    assert parsed.items[0].title == "Before \u2014 after"
    assert parsed.warnings == ()


def test_external_entities_are_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY leak SYSTEM "file://{secret}">]>'
        f'<rss version="2.0"><channel><title>X</title>'
        f"<item><guid>x1</guid><title>Leak &leak; here</title></item></channel></rss>"
    ).encode()
    parsed = parse_feed(body, XML, BASE)
    assert "TOP-SECRET" not in parsed.items[0].title + parsed.items[0].summary


def test_markup_and_script_in_titles_become_plain_text() -> None:
    body = rss(
        "<item><guid>t1</guid>"
        "<title>&lt;b&gt;Bold&lt;/b&gt; move &lt;script&gt;alert('x')&lt;/script&gt;"
        " &amp;amp; more</title>"
        "<description>&lt;img src=x onerror=alert(1)&gt;Body &lt;i&gt;text&lt;/i&gt;</description>"
        "</item>"
    )
    item = parse_feed(body, XML, BASE).items[0]
    assert item.title == "Bold move & more"
    assert item.summary == "Body text"
    assert all("<" not in p and "alert" not in p for p in item.key_points)


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:void(0)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
        "ftp://files.example/report",
    ],
)
def test_unsafe_links_become_none(link: str) -> None:
    body = rss(f"<item><guid>u</guid><title>Unsafe</title><link>{link}</link></item>")
    item = parse_feed(body, XML, BASE).items[0]
    assert item.url is None
    assert item.id == "u"


def test_duplicate_ids_keep_the_first() -> None:
    body = rss(
        "<item><guid>same</guid><title>First version</title></item>"
        "<item><guid>other</guid><title>Other</title></item>"
        "<item><guid>same</guid><title>Second version</title></item>"
    )
    parsed = parse_feed(body, XML, BASE)
    assert [(i.id, i.title) for i in parsed.items] == [
        ("same", "First version"),
        ("other", "Other"),
    ]
    assert any("kept the first" in w for w in parsed.warnings)


def test_future_dates_are_kept_and_unparseable_dates_are_none() -> None:
    body = rss(
        "<item><guid>f</guid><title>Future</title><pubDate>Sat, 01 Jan 2150 10:00:00 GMT</pubDate>"
        "</item><item><guid>n</guid><title>Nonsense</title><pubDate>the day after tomorrow"
        "</pubDate></item>"
    )
    future, nonsense = parse_feed(body, XML, BASE).items
    assert future.published == datetime(2150, 1, 1, 10, 0, tzinfo=timezone.utc)
    assert nonsense.published is None


def test_entry_without_guid_or_link_gets_a_stable_content_hash() -> None:
    entry = (
        "<item><title>Anonymous note</title><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate>"
        "<description>Nothing to link to.</description></item>"
    )
    first = parse_feed(rss(entry), XML, BASE).items[0]
    again = parse_feed(rss("<item><guid>g</guid><title>new</title></item>" + entry), XML, BASE)
    assert first.id == again.items[1].id
    assert first.id == text.stable_hash(
        "Anonymous note", "2026-03-02T09:00:00+00:00", "Nothing to link to."
    )
    assert first.url is None


def test_entry_without_title_is_titled_by_its_first_sentence() -> None:
    body = rss("<item><guid>nt</guid><description>Power is back. Crews stay.</description></item>")
    assert parse_feed(body, XML, BASE).items[0].title == "Power is back."


def test_a_social_post_reads_as_its_reader_sees_it() -> None:
    # A social server's RSS: no title, hashtags and mentions whose word sits in an element of
    # its own, a link shortened by hiding its scheme and tail.
    post = (
        '<p>East bridge reopens at 18:00. Thanks <span class="h-card"><a href="https://social'
        '.example/@crews" class="u-url mention">@<span>crews</span></a></span>! Details: <a hre'
        'f="https://harbour.example/roads/east-bridge-reopening"><span class="invisible">https:'
        '//</span><span class="ellipsis">harbour.example/roads/east-b</span><span class="invis'
        'ible">ridge-reopening</span></a> <a href="https://social.example/tags/traffic" class="'
        'mention hashtag" rel="tag">#<span>traffic</span></a></p>'
    )
    body = rss(
        "<item><guid>https://social.example/@council/1133</guid>"
        f"<description>{escape(post)}</description></item>"
    )
    item = parse_feed(body, XML, BASE).items[0]
    assert item.title == "East bridge reopens at 18:00."
    assert item.summary == (
        "East bridge reopens at 18:00. Thanks @crews! Details: harbour.example/roads/east-b"
        " #traffic"
    )


def test_a_forum_post_leaves_out_its_submitted_by_line() -> None:
    # A forum's Atom feed appends "submitted by /u/name [link] [comments]" to every post, and a
    # link post has nothing else but a thumbnail.
    thread = "https://forum.example/r/harbour/comments/{0}/post/"
    trailer = (
        ' &#32; submitted by &#32; <a href="https://forum.example/user/someone"> /u/someone </a>'
        ' <br/> <span><a href="{0}">[link]</a></span> &#32; <span><a href="{1}">[comments]</a>'
        "</span>"
    )
    own = (
        '<!-- SC_OFF --><div class="md"><p>Early sailings move by ten minutes.</p> </div>'
        "<!-- SC_ON -->" + trailer.format(thread.format("x1"), thread.format("x1"))
    )
    linked = (
        '<table> <tr><td> <a href="{0}"> <img src="https://img.forum.example/t.jpg" alt="Pier"'
        " /> </a> </td><td>"
        + trailer.format("https://news.example/pier", thread.format("x2"))
        + "</td></tr></table>"
    ).format(thread.format("x2"))
    entries = "".join(
        f'<entry><id>t3_{n}</id><title>Post {n}</title><link href="{thread.format(n)}"/>'
        f'<updated>2026-11-30T09:00:00+00:00</updated><content type="html">{escape(html)}'
        "</content></entry>"
        for n, html in (("x1", own), ("x2", linked))
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        '<title>harbour</title><link rel="alternate" href="https://forum.example/r/harbour/"/>'
        f"{entries}</feed>"
    ).encode()
    first, second = parse_feed(body, {"content-type": "application/atom+xml"}, BASE).items
    assert first.summary == "Early sailings move by ten minutes."
    assert second.summary == ""
    assert second.title == "Post x2"


def test_long_summaries_are_bounded() -> None:
    words = " ".join(f"word{i}" for i in range(2000))
    body = rss(f"<item><guid>long</guid><title>Long</title><description>{words}</description>")
    body = body.replace(b"</channel>", b"</item></channel>")
    item = parse_feed(body, XML, BASE).items[0]
    assert 0 < len(item.summary) <= 1000
    assert item.summary.startswith("word0 word1")


def test_escaped_atom_content_longer_than_the_reader_buffer_arrives_whole() -> None:
    # Character data is buffered in 64 KB pieces: an entry whose escaped HTML is several
    # times that long still gives its whole text and its list, with no seam in a word.
    words = " ".join(f"harbour{n:05d}" for n in range(30_000))  # ~390 KB of text
    html = f"<p>{words}</p><h3>Key points</h3><ul><li>Ferry back &amp; on time</li>"
    html += "<li>Bridge reopens at noon</li></ul>"
    escaped = html.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    body = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>Desk</title><id>urn:desk</id><updated>2026-01-01T00:00:00Z</updated>"
        "<entry><title>Long one</title><id>urn:long</id><updated>2026-01-01T00:00:00Z</updated>"
        f'<content type="html">{escaped}</content></entry></feed>'
    ).encode()
    parsed = parse_feed(body, {"content-type": "application/atom+xml"}, BASE)
    (entry,) = parsed.items
    assert entry.key_points == ("Ferry back & on time", "Bridge reopens at noon")
    assert entry.summary.startswith("harbour00000 harbour00001 harbour00002")
