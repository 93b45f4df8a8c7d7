"""More feeds shaped like real publishers' feeds, added and polled through the command line.

The feeds in ``tests/fixtures/feeds_more2/`` are served from the loopback server the way
publishers' servers really send them (a wrong or default charset in the header, ``text/html`` or
``application/octet-stream`` for a feed, a byte-order mark, white space before the XML
declaration), added with ``live-updates sources add`` and polled with ``check --json``. Each case
states what a reader would see: the source's name and every entry's title, link, date in UTC,
summary and key points — no character lost or garbled, no "The post … appeared first on …"
footer, FeedBurner's original links, dates written with zone abbreviations or month names in
the feed's language.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_feeds_more import CLI_KIND
from tests.integration.test_feeds_more import _problems as entry_problems
from tests.support.feeds import json_lines, run_cli
from tests.support.server import LoopbackServer

FEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "feeds_more2"
Capsys = pytest.CaptureFixture[str]

# Signs of text decoded in the wrong charset: U+FFFD, and UTF-8 read as a single-byte charset.
GARBLED = ("\ufffd", "Ã", "Â", "Å", "â€", "Ä", "Ĺ")

CASES: list[dict[str, Any]] = [
    {
        # WordPress with a footer plugin, white space before the XML declaration.
        "file": "wordpress-fr-footer.xml",
        "content_type": "application/rss+xml; charset=UTF-8",
        "kind": "feed",
        "name": "Le Petit Quai – Actualités du port",
        "entries": {
            "https://www.petit-quai.example/?p=5120": {
                "title": "Travaux du quai : ce qui change pour les riverains & les commerçants",
                "url": "https://www.petit-quai.example/2026/03/05/travaux-du-quai/",
                "published": "2026-03-05T15:00:00+00:00",
                "key_points": [
                    "La rue du Port passe en sens unique",
                    "Le marché du samedi déménage place de l’Église",
                    "Les livraisons sont autorisées avant 10 heures",
                ],
                "summary_has": ["Les travaux du quai commencent lundi et dureront trois mois"],
                "nowhere": ["est apparu en premier", "Le Petit Quai"],
            },
            "https://www.petit-quai.example/?p=5104": {
                "title": "Le ferry du matin reprend ses horaires d’hiver",
                "url": "https://www.petit-quai.example/2026/03/04/ferry-horaires-hiver/",
                "published": "2026-03-04T08:30:00+00:00",
                "key_points": ["Dès la semaine prochaine, le premier départ a lieu à 7 h 15"],
                "summary_has": ["le premier départ a lieu à 7 h 15"],
                "nowhere": ["est apparu en premier", "Lire la suite"],
            },
        },
    },
    {
        "file": "feedburner-en.xml",
        "content_type": "text/xml; charset=UTF-8",
        "kind": "feed",
        "name": "Valley Courier",
        "entries": {
            "https://www.valley-courier.example/?p=88012": {
                "title": "Bridge on Route 9 reopens two weeks early",
                "url": "https://www.valley-courier.example/2026/03/05/bridge-reopens/",
                "published": "2026-03-05T21:45:00+00:00",  # 16:45 EST
                "summary_has": ["Crews finished the deck repairs ahead of schedule"],
            },
            # no guid: its identity stays the link as written, its link is the original one
            "https://feedproxy.burner.example/~r/ValleyCourier/~3/Zx1pL9mNb4A/": {
                "title": "School board delays vote on new calendar",
                "url": "https://www.valley-courier.example/2026/03/05/school-calendar/",
                "published": "2026-03-05T14:10:00+00:00",
            },
        },
    },
    {
        "file": "de-dates-abbrev.xml",
        "content_type": "application/rss+xml; charset=utf-8",
        "kind": "feed",
        "name": "Rheinblick Nachrichten",
        "entries": {
            "rb-101": {  # "Do, 05 Mär 2026 14:30:00 +0100"
                "title": "Rheinfähre fällt wegen Hochwasser aus",
                "url": "https://www.rheinblick.example/stadt/rheinfaehre-hochwasser-101.html",
                "published": "2026-03-05T13:30:00+00:00",
            },
            "rb-100": {  # "Thu, 05 Mar 2026 09:15:00 CET"
                "title": "Stadtrat beschließt neue Parkgebühren",
                "published": "2026-03-05T08:15:00+00:00",
            },
            "rb-099": {  # "Mi, 01 Jul 2026 18:00:00 MESZ" (summer time, UTC+2)
                "title": "Sommerfest am Ufer: Programm steht",
                "published": "2026-07-01T16:00:00+00:00",
            },
            "rb-098": {  # "Dienstag, 3. März 2026 07:05:00 +0100"
                "title": "Neue Buslinie zum Bahnhof",
                "published": "2026-03-03T06:05:00+00:00",
            },
        },
    },
    {
        # ISO-8859-2 named only in the XML declaration; the server claims UTF-8.
        "file": "pl-iso-8859-2-header-utf8.xml",
        "content_type": "text/xml; charset=utf-8",
        "kind": "feed",
        "name": "Gazeta Nadwiślańska - Wiadomości",
        "entries": {
            "gn-4411": {
                "title": "Łódź: remont wiaduktu przesunięty na jesień",
                "url": "https://www.nadwislanska.example/lodz/remont-wiaduktu,4411.html",
                "published": "2026-03-05T11:40:00+00:00",
                "summary_has": ["Zarząd dróg tłumaczy opóźnienie brakiem wykonawcy"],
            },
            "gn-4410": {
                "title": "Żółte ostrzeżenie przed silnym wiatrem",
                "published": "2026-03-04T20:05:00+00:00",
                "summary_has": ["Służby apelują o ostrożność"],
            },
        },
    },
    {
        # ISO-8859-15 (€, œ) in the XML declaration; the server's default ISO-8859-1 header.
        "file": "fr-iso-8859-15-header-latin1.xml",
        "content_type": "application/rss+xml; charset=ISO-8859-1",
        "kind": "feed",
        "name": "L'Écho des Vignes",
        "entries": {
            "ev-330": {
                "title": "Vendanges : le prix du raisin grimpe à 2 € le kilo",
                "published": "2026-03-05T09:20:00+00:00",
                "summary_has": ["Un œil sur la météo reste de rigueur"],
            },
            "ev-329": {
                "title": "Œnologie : un concours ouvert aux amateurs",
                "published": "2026-03-04T16:00:00+00:00",
            },
        },
    },
    {
        # windows-1252 curly quotes and dashes; served as a download.
        "file": "it-windows-1252-octet-stream.xml",
        "content_type": "application/octet-stream",
        "kind": "feed",
        "name": "Il Faro di Levante",
        "entries": {
            "fl-2201": {
                "title": "Porto, “lavori conclusi entro l’estate” – parola del sindaco",
                "url": "https://www.faro-levante.example/cronaca/porto-lavori-2201",
                "published": "2026-03-05T10:00:00+00:00",
                "key_points": [
                    "Nuova banchina per i traghetti",
                    "Parcheggio da 300 posti",
                    "Pista ciclabile fino al faro",
                ],
            },
            "fl-2200": {
                "title": "Mareggiata, chiusa la passeggiata a mare",
                "published": "2026-03-04T18:30:00+00:00",
                "summary_has": ["Onde fino a quattro metri… La riapertura è prevista per venerdì"],
            },
        },
    },
    {
        # a UTF-8 byte-order mark, and a server that calls the feed an HTML page
        "file": "es-bom-text-html.xml",
        "content_type": "text/html; charset=utf-8",
        "kind": "feed",
        "name": "Diario del Estrecho",
        "entries": {
            "de-7781": {
                "title": "El temporal obliga a cancelar los barcos a Tánger",
                "published": "2026-03-05T12:45:00+00:00",
            },
            "de-7780": {
                "title": "Año récord de cruceros en la bahía",
                "published": "2026-03-04T08:00:00+00:00",
                "summary_has": ["un 12 % más que el año pasado"],
            },
        },
    },
    {
        # HTML entities XML does not know (&nbsp; &euro; &hellip;) and a stray control character
        "file": "nl-undeclared-entities.xml",
        "content_type": "application/rss+xml",
        "kind": "feed",
        "name": "Het Dijkblad – Nieuws",
        "entries": {
            "db-5510": {
                "title": "Dijkversterking kost € 12 miljoen",
                "published": "2026-03-05T15:00:00+00:00",
                "summary_has": ["Het waterschap begint in mei… De werkzaamheden duren twee jaar"],
            },
            "db-5509": {
                "title": "Veerpont weer in de vaart na storing",
                "published": "2026-03-04T06:45:00+00:00",
            },
        },
    },
    {
        # episodes with no page of their own: the audio is what there is to open
        "file": "pt-podcast-enclosures.xml",
        "content_type": "application/rss+xml; charset=utf-8",
        "kind": "feed",
        "name": "Conversa de Cozinha",
        "entries": {
            "cc-ep42": {
                "title": "Episódio 42: o pão de queijo perfeito",
                "url": "https://media.conversa-cozinha.example/episodios/ep42.mp3",
                "published": "2026-03-05T09:00:00+00:00",
                "summary_has": ["Testamos quatro receitas de pão de queijo"],
            },
            "cc-ep41": {
                "title": "Episódio 41: feijoada de domingo",
                "url": "https://media.conversa-cozinha.example/episodios/ep41.mp3",
                "published": "2026-02-26T09:00:00+00:00",
                "key_points": ["A origem do prato", "Os cortes certos", "O acompanhamento ideal"],
            },
        },
    },
    {
        "file": "jsonfeed11-content-text-it.json",
        "content_type": "application/feed+json",
        "kind": "json_feed",
        "name": "Cronache dal Lago",
        "entries": {
            "cl-91": {
                "title": "Battelli: orari estivi dal 1° aprile",
                "url": "https://www.cronache-lago.example/2026/03/05/battelli",
                "published": "2026-03-05T11:00:00+00:00",
                "key_points": [
                    "Corse ogni 30 minuti nei festivi",
                    "Ultima partenza alle 21:40 per Como",
                    "Biglietto giornaliero a 18 euro",
                ],
                "summary_has": ["Gli orari completi sono in biglietteria"],
                "nowhere": ["- Corse"],
            },
            "cl-90": {
                "title": "Riaperto il sentiero del castello",
                "published": "2026-03-04T08:30:00+00:00",
                "summary_has": ["il sentiero è di nuovo percorribile. Servono scarpe adatte"],
            },
        },
    },
]


def _problems(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    problems = entry_problems(want, got)
    summary = got["summary"] or ""
    shown = [("title", got["title"]), ("summary", summary)]
    shown += [("key point", p) for p in got["key_points"]]
    for where, text in shown:
        problems += [f"{s!r} in the {where} {text!r}" for s in want.get("nowhere", ())
                     if s in text]  # fmt: skip
        problems += [f"garbled {where} {text!r}" for s in GARBLED if s in text][:1]
    return problems


def _add_and_check(
    capsys: Capsys, server: LoopbackServer, case: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    body = (FEEDS / case["file"]).read_bytes()
    url = server.route("/" + case["file"], body, content_type=case["content_type"])
    code, _out, err = run_cli(capsys, "sources", "add", url)
    assert code == 0, f"sources add refused the feed: {err.strip()}"
    code, out, err = run_cli(capsys, "sources", "list", "--json")
    [source] = json.loads(out)
    assert (source["url"], source["kind"]) == (url, CLI_KIND[case.get("kind", "feed")])
    code, out, err = run_cli(capsys, "--verbose", "check", "--json")
    complaints = [line for line in err.splitlines() if not line.startswith(("INFO ", "DEBUG "))]
    assert (code, complaints) == (0, []), err  # read whole, so not even a warning
    return source, json_lines(out)


@pytest.mark.parametrize("case", [pytest.param(c, id=Path(c["file"]).stem) for c in CASES])
def test_feed(case: dict[str, Any], home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    source, entries = _add_and_check(capsys, server, case)
    by_id = {e["id"]: e for e in entries}
    problems = []
    if source["name"] != case["name"]:
        problems.append(f"source name {source['name']!r}, expected {case['name']!r}")
    if set(by_id) != set(case["entries"]):
        problems.append(f"entry ids {sorted(by_id)!r}, expected {sorted(case['entries'])!r}")
    for ident, want in case["entries"].items():
        if ident in by_id:
            problems += [f"{ident}: {p}" for p in _problems(want, by_id[ident])]
    assert not problems, f"{case['file']}:\n  " + "\n  ".join(problems)


def test_a_feed_of_320_items_keeps_every_one(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    case = {"file": "en-320-items.xml", "content_type": "application/rss+xml"}
    _source, entries = _add_and_check(capsys, server, case)
    assert len(entries) == 320
    assert len({e["id"] for e in entries}) == 320
    by_id = {e["id"]: e for e in entries}
    last = by_id["https://www.tide-notes.example/notes/1"]
    assert last["title"] == "Tide table note 1: high water at 2:01"
    assert last["url"] == "https://www.tide-notes.example/notes/1"
    assert last["published"].startswith("2026-02-02T01:01:00")
    assert all(e["notify"] is False for e in entries)  # the first poll is a silent baseline


# --- the rules behind the cases above, one feed body each (parsed as a poll parses it) -------

BASE = "http://127.0.0.1:8080/feed.xml"


def _rss(items: str, prolog: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return (
        f'{prolog}<rss version="2.0"><channel><title>Quayside</title>'
        f"<link>https://quayside.example/</link>{items}</channel></rss>"
    )


def _parse(body: bytes, content_type: str = "application/rss+xml") -> list[Any]:
    from widget.sources.feed import parse_feed

    return list(parse_feed(body, {"content-type": content_type}, BASE).items)


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("Thu, 05 Mar 2026 14:30:00 CET", "2026-03-05T13:30:00"),
        ("Mon, 06 Jul 2026 14:30:00 CEST", "2026-07-06T12:30:00"),
        ("Mon, 06 Jul 2026 14:30:00 BST", "2026-07-06T13:30:00"),
        ("Thu, 05 Mar 2026 14:30:00 EET", "2026-03-05T12:30:00"),
        ("Thu, 05 Mar 2026 14:30:00 EST", "2026-03-05T19:30:00"),
        ("Thu, 05 Mar 2026 14:30 +0100", "2026-03-05T13:30:00"),  # no seconds
        ("Thu, 05 Mar 2026 14:30:00 GMT+0100", "2026-03-05T13:30:00"),
        ("Do, 05 Mär 2026 14:30:00 +0100", "2026-03-05T13:30:00"),
        ("Donnerstag, 5. März 2026 14:30:00 MEZ", "2026-03-05T13:30:00"),
        ("jeu., 5 févr. 2026 14:30:00 +0100", "2026-02-05T13:30:00"),
        ("sam., 01 août 2026 09:00:00 +0200", "2026-08-01T07:00:00"),
        ("jue, 05 dic 2026 14:30:00 +0100", "2026-12-05T13:30:00"),
        ("gio, 07 mag 2026 14:30:00 +0200", "2026-05-07T12:30:00"),
        ("sex, 09 out 2026 10:00:00 -0300", "2026-10-09T13:00:00"),
        ("vr, 13 mrt 2026 08:00:00 +0100", "2026-03-13T07:00:00"),
        ("pt, 16 paź 2026 08:00:00 +0200", "2026-10-16T06:00:00"),
        ("2026-03-05T14:30:00+01:00", "2026-03-05T13:30:00"),  # ISO: as before
    ],
)
def test_dates_are_read_in_utc_whatever_the_language_or_zone(written: str, utc: str) -> None:
    [item] = _parse(
        _rss(f"<item><guid>d</guid><title>T</title><pubDate>{written}</pubDate></item>").encode()
    )
    assert item.published is not None
    assert item.published.isoformat() == utc + "+00:00"


def test_a_zone_nobody_can_tell_apart_is_left_to_the_usual_reading() -> None:
    # "IST" is India, Ireland or Israel: read as before (UTC), never guessed
    [item] = _parse(
        _rss("<item><guid>d</guid><pubDate>Thu, 05 Mar 2026 14:30:00 IST</pubDate></item>").encode()
    )
    assert item.published is not None and item.published.hour == 14


@pytest.mark.parametrize(
    ("prolog", "content_type", "codec"),
    [
        # the header's charset is a server default; the document says what it is
        ('<?xml version="1.0" encoding="windows-1252"?>', "text/xml; charset=utf-8", "cp1252"),
        (
            '<?xml version="1.0" encoding="iso-8859-15"?>',
            "text/xml; charset=iso-8859-1",
            "iso-8859-15",
        ),
        # ISO-8859-1 in the header alone: read as windows-1252, as browsers do (curly quotes)
        ('<?xml version="1.0"?>', "application/rss+xml; charset=ISO-8859-1", "cp1252"),
        # UTF-8 is UTF-8, whatever the header or the declaration claim
        ('<?xml version="1.0" encoding="iso-8859-1"?>', "text/xml; charset=iso-8859-1", "utf-8"),
        # nothing usable declared and not UTF-8
        ('<?xml version="1.0"?>', "text/xml; charset=utf-8", "cp1252"),
    ],
)
def test_text_arrives_in_the_charset_it_was_written_in(
    prolog: str, content_type: str, codec: str
) -> None:
    title = "“Crème” – 5 € à l’Œil" if codec != "iso-8859-15" else "Crème à 5 €, l'Œuvre"
    body = _rss(f"<item><guid>c</guid><title>{title}</title></item>", prolog).encode(codec)
    [item] = _parse(body, content_type)
    assert item.title == title


def test_a_bare_ampersand_and_unknown_entities_are_kept_as_written() -> None:
    body = _rss(
        "<item><guid>a</guid><title>AT&T &amp; partners &foo; &eacute;t&eacute;&nbsp;2026</title>"
        "<description>Fish & chips\x01 tonight</description></item>"
    ).encode()
    [item] = _parse(body)
    assert item.title == "AT&T & partners &foo; été 2026"
    assert item.summary == "Fish & chips tonight"


FOOTER_ENTRY = "https://quayside.example/2026/03/05/pier/"


@pytest.mark.parametrize(
    ("footer", "kept"),
    [
        (f'<p>The post <a href="{FOOTER_ENTRY}">Pier</a> appeared first on '
         '<a href="https://quayside.example">Quayside</a>.</p>', False),
        (f'<p>Der Beitrag <a href="{FOOTER_ENTRY}">Pier</a> erschien zuerst auf '
         '<a href="https://quayside.example/">Quayside</a>.</p>', False),
        (f'<p><a href="{FOOTER_ENTRY}">Continue reading <span>Pier</span> →</a></p>', False),
        # links elsewhere are the story's own: kept
        ('<p>See <a href="https://council.example/plan">the plan</a> and '
         '<a href="https://quayside.example/">our archive</a>.</p>', True),
        ('<p>Read <a href="https://other.example/pier">the full report</a></p>', True),
    ],
)  # fmt: skip
def test_a_footer_every_entry_carries_is_no_part_of_the_story(footer: str, kept: bool) -> None:
    story = "<p>The pier reopens on Friday after repairs.</p>"
    markup = (story + footer).replace("&", "&amp;").replace("<", "&lt;")
    body = _rss(f"<item><guid>f</guid><link>{FOOTER_ENTRY}</link><title>Pier</title>"
                f"<description>{markup}</description></item>").encode()  # fmt: skip
    [item] = _parse(body)
    assert item.summary.startswith("The pier reopens on Friday after repairs.")
    assert (item.summary != "The pier reopens on Friday after repairs.") is kept
