"""The key-points window's search as the store answers it: casefolded, over the title and each key
point, never fooled by how key points are stored (JSON text)."""

from __future__ import annotations

import json

import pytest

from widget.storage.search import window_match


def points(*texts: str, ascii_only: bool = False) -> str:
    return json.dumps(list(texts), ensure_ascii=ascii_only)


@pytest.mark.parametrize(
    ("needle", "title", "stored", "found"),
    [
        ("ferry", "Ferry timetable changes", points(), True),
        ("timetable changes", "FERRY TIMETABLE CHANGES", points(), True),
        ("gloves", "Volunteers fill sandbags", points("Bring GLOVES please"), True),
        ("strasse", "Die Hauptstraße ist gesperrt", points(), True),  # ß casefolds to ss
        ("größe".casefold(), "Keine Angabe", points("Die GRÖSSE der Flut"), True),
        ("größe".casefold(), "Keine Angabe", points("Die GRÖSSE", ascii_only=True), True),
        ('"quoted"', "Statement", points('He said "quoted" words'), True),
        ("back\\slash", "Paths", points("a back\\slash here"), True),
        # Not in the text, though in its stored form:
        ("n", "Title", points("a\nb"), False),  # the escape of a line break
        ('", "', "Title", points("one", "two"), False),
        ("one two", "Title", points("one", "two"), False),
        ("u00df", "Title", points("ß", ascii_only=True), False),
        ("nothing", "Title", "not json at all", False),
        ("title", "Title here", "not json at all", True),
    ],
)
def test_window_search_matches_the_text_people_see(
    needle: str, title: str, stored: str, found: bool
) -> None:
    assert window_match(needle, title, stored) is found
