"""A microdata LiveBlogPosting gives the same entries as the equivalent JSON-LD."""

from __future__ import annotations

import json

import pytest

from widget.sources.liveblog import parse_live_page

HTML = {"content-type": "text/html; charset=utf-8"}
URL = "https://news.example/live/harbour"
UPDATES = [
    ("u3", "2026-03-05T15:00:00+00:00", "Ferries resume", "Boats leave every hour again."),
    ("u2", "2026-03-05T14:00:00+00:00", "Wind drops", "Gusts are below 60 km/h."),
    ("u1", "2026-03-05T13:00:00+00:00", "Harbour closed", "No boats leave this morning."),
]
SCHEMA = ("https://schema.org", "http://schema.org")


def jsonld_page() -> bytes:
    node = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": URL,
        "headline": "Harbour storm live",
        "liveBlogUpdate": [
            {
                "@type": "BlogPosting",
                "@id": f"{URL}#{i}",
                "url": f"{URL}#{i}",
                "headline": h,
                "datePublished": d,
                "articleBody": b,
            }
            for i, d, h, b in UPDATES
        ],
    }
    posts = "".join(
        f'<div class="post" id="{i}"><time datetime="{d}">{d[11:16]}</time>'
        f"<h2>{h}</h2><p>{b}</p></div>"
        for i, d, h, b in UPDATES
    )
    return (
        '<html><head><title>Harbour storm live</title><script type="application/ld+json">'
        + json.dumps(node)
        + f"</script></head><body><main><h1>Harbour storm live</h1>{posts}</main></body></html>"
    ).encode()


def microdata_page(schema: str, dates: str) -> bytes:
    def when(d: str) -> str:
        if dates == "meta":
            return f'<meta itemprop="datePublished" content="{d}"><span>{d[11:16]}</span>'
        return f'<time itemprop="datePublished" datetime="{d}">{d[11:16]}</time>'

    posts = "".join(
        f'<div class="post" id="{i}" itemprop="liveBlogUpdate" itemscope '
        f'itemtype="{schema}/BlogPosting" itemid="{URL}#{i}"><link itemprop="url" href="{URL}#{i}">'
        f'{when(d)}<h2 itemprop="headline">{h}</h2><div itemprop="articleBody"><p>{b}</p></div>'
        f'<div itemprop="author" itemscope itemtype="{schema}/Person">'
        '<span itemprop="name">Desk</span></div></div>'
        for i, d, h, b in UPDATES
    )
    return (
        "<html><head><title>Harbour storm live</title></head><body><main>"
        f'<div itemscope itemtype="{schema}/LiveBlogPosting" itemid="{URL}">'
        f'<h1 itemprop="headline">Harbour storm live</h1>{posts}</div></main></body></html>'
    ).encode()


def entries(body: bytes) -> list[tuple[object, ...]]:
    parsed = parse_live_page(body, HTML, URL)
    return [(i.id, i.title, i.url, i.published, i.summary, i.is_page) for i in parsed.items]


@pytest.mark.parametrize("schema", SCHEMA)
@pytest.mark.parametrize("dates", ["time", "meta"])
def test_microdata_gives_the_jsonld_entries(schema: str, dates: str) -> None:
    assert entries(microdata_page(schema, dates)) == entries(jsonld_page())


def test_nested_author_name_is_not_the_update_headline_or_body() -> None:
    parsed = parse_live_page(microdata_page(SCHEMA[0], "time"), HTML, URL)
    updates = [i for i in parsed.items if not i.is_page]
    assert [u.title for u in updates] == [h for _i, _d, h, _b in UPDATES]
    assert not any("Desk" in (u.summary or "") for u in updates)
