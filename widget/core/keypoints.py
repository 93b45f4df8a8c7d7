"""Key points of an entry: the rules, the announcing phrases per language, and point clean-up.

Pure decisions over plain text. The HTML tree is read in ``widget.sources.html``, which finds
the lists of a story and asks here which one wins (first match):

1. a list announced by a heading, label or short paragraph ("Here's what you need to know",
   "Das Wichtigste", "L'essentiel", … from ``PHRASES``) → its items;
2. else the first list of 2–10 items, each under ``ITEM_MAX_CHARS``, that is not navigation;
3. else the first sentence of the summary, else of the text, else the title.

Every point is cleaned the same way: a time, "Updated 3 min ago", "Share" or "Copy link" at its
start or end is dropped, never glued to the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from widget.core.text import collapse_whitespace, first_sentence, truncate

__all__ = [
    "ANCHOR_MAX_CHARS",
    "ITEM_MAX_CHARS",
    "MAX_POINTS",
    "PHRASES",
    "announces",
    "clean_point",
    "clean_points",
    "fallback_points",
    "is_plain_point_list",
    "strip_leading_time",
]

MAX_POINTS = 8
ANCHOR_MAX_CHARS = 80  # text of a heading or short paragraph that announces a list
ITEM_MAX_CHARS = 300  # rule 2: every item of a plain list must be shorter than this
POINT_MAX_CHARS = 400  # any single key point is cut (with "…") beyond this
RULE2_MIN_ITEMS, RULE2_MAX_ITEMS = 2, 10

# Headings that announce key points, per language (compared case-insensitively, as whole words;
# any apostrophe matches any other). One table: a language is added here and nowhere else.
PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "here's what to know", "here is what to know", "here's what you need to know",
        "here is what you need to know", "what you need to know", "what to know",
        "what we know", "what we know so far", "what we're covering", "what's happening",
        "key points", "key events", "key developments", "key takeaways", "takeaways",
        "latest developments", "at a glance", "key updates", "key moments",
        "what happened", "what we know now", "need to know", "summary", "to recap", "recap",
        "the latest",
        "catch up", "in brief", "the essentials", "main points", "the key facts",
    ),
    "de": (
        "das wichtigste", "das wichtigste in kürze", "im überblick", "auf einen blick",
        "überblick", "zusammenfassung", "was wir wissen", "was bisher bekannt ist",
        "was bekannt ist", "kurz und knapp", "die wichtigsten entwicklungen",
        "die wichtigsten punkte", "kernpunkte", "das wichtigste zusammengefasst",
        "was passiert ist", "was sie wissen müssen",
    ),
    "fr": (
        "l'essentiel", "ce qu'il faut savoir", "ce que l'on sait", "ce qu'on sait",
        "à retenir", "points clés", "points-clés", "en bref", "résumé", "le point sur",
        "les faits", "ce qu'il faut retenir", "ce que nous savons", "les principales informations",
        "ce qui s'est passé",
    ),
    "es": (
        "lo más importante", "claves", "lo que sabemos", "lo que hay que saber",
        "qué sabemos", "resumen", "en resumen", "puntos clave", "lo esencial", "lo último",
        "en breve", "lo que debes saber", "lo que tienes que saber", "qué ha pasado",
    ),
    "it": (
        "punti chiave", "in sintesi", "cosa sappiamo", "cosa sapere", "le cose da sapere",
        "punti principali", "in breve", "riassunto", "l'essenziale", "i fatti", "da sapere",
        "quello che sappiamo", "cosa è successo", "cosa è accaduto",
    ),
    "pt": (
        "o que se sabe", "o que sabemos", "pontos-chave", "pontos principais", "resumo",
        "em resumo", "o essencial", "o que você precisa saber", "o que precisa de saber",
        "destaques", "principais pontos", "o que aconteceu", "entenda",
    ),
    "nl": (
        "het belangrijkste", "wat we weten", "samenvatting", "in het kort", "kort samengevat",
        "belangrijkste punten", "de belangrijkste ontwikkelingen", "overzicht", "wat je moet weten",
        "wat u moet weten", "wat er is gebeurd",
    ),
    "pl": (
        "najważniejsze", "najważniejsze informacje", "co wiemy", "w skrócie", "podsumowanie",
        "kluczowe informacje", "najważniejsze fakty", "co musisz wiedzieć", "co się stało",
    ),
}  # fmt: skip

_APOSTROPHES = "'’ʼ`´"


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    parts = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        escaped = re.escape(phrase).replace("'", f"[{_APOSTROPHES}]")
        parts.append(escaped.replace(r"\ ", r"\s+").replace(r"\-", r"[\s-]"))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


_PHRASE = _phrase_pattern(p for table in PHRASES.values() for p in table)


def announces(text: str) -> bool:
    """Whether a short heading or label announces key points, in any supported language."""
    return _PHRASE.search(text) is not None


# --- cleaning a point -------------------------------------------------------------------------

_CLOCK = (
    r"(?:[01]?\d|2[0-3])[:.h][0-5]\d(?:[:.][0-5]\d)?"
    r"(?:\s*(?:[aApP]\.?\s?[mM]\.?|Uhr|h|hrs|horas?|heures?|ore|uur|godz\.?))?"
    r"(?:\s*(?:IST|GMT|BST|UTC|CET|CEST|MEZ|MESZ|EST|EDT|ET|PT|PST|PDT|CT|AEST|AEDT|SAST|JST))?"
)
_AGO = (
    r"(?:(?:updated|posted|published|aktualisiert|mis à jour|actualizado|aggiornato|atualizado)"
    r"\s*:?\s*)?(?:\d{1,3}\s*(?:s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|"
    r"std\.?|stunden?|minuten?)\s+ago|(?:vor|il y a|hace|fa)\s+\d{1,3}\s*\w{1,10}|"
    r"\d{1,3}\s*(?:min|minuti|minutos)\s+fa)"
)
_DATE = r"(?:\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?|\d{4}-\d{2}-\d{2})"
# Labels of share tools and links that end up inside a point ("Share", "Read more"…).
_LABEL_ENDINGS = (
    "share", "share this", "copy link", "link copied", "read more", "mehr lesen", "teilen",
    "partager", "compartir", "condividi",
)  # fmt: skip
_LABEL = "(?:" + "|".join(map(re.escape, sorted(_LABEL_ENDINGS, key=len, reverse=True))) + ")"
_LEADING = re.compile(
    rf"^(?:(?:{_DATE},?\s*)?{_CLOCK}|{_AGO}|updated|{_LABEL})(?:[\s:|–—•·-]+|$)", re.IGNORECASE
)
TRAILING_WINDOW = 160  # characters at the end of a point searched for a trailing label
_TRAILING = re.compile(rf"(?:^|[\s|–—•·(-]+)(?:{_CLOCK}|{_AGO}|{_LABEL})\)?\s*$", re.IGNORECASE)


_TAIL_DIGIT = re.compile(r"\d")


def _may_trail(text: str) -> bool:
    """A cheap test that ``_TRAILING`` can match: every time and "… ago" it knows holds a digit
    near the end; every label it knows ends the text."""
    if _TAIL_DIGIT.search(text, max(0, len(text) - 48)) is not None:
        return True
    return text.rstrip().rstrip(")").rstrip().lower().endswith(_LABEL_ENDINGS)


def strip_leading_time(text: str) -> str:
    """``text`` without a clock time, "3 min ago" or a share label at its start."""
    for _ in range(3):
        found = _LEADING.match(text)
        if found is None or found.end() == 0:
            break
        rest = text[found.end() :].lstrip()
        if not rest:
            return "" if found.end() >= len(text.rstrip()) else text
        text = rest
    return text


# Words after which a clock time is part of the sentence ("Last ferry leaves at 21:40",
# "Ultima partenza alle 21:40", "um 14.30 Uhr", "à 21h40", "a las 9:15", "om 21.40 uur").
_TIME_PREPOSITION = re.compile(
    r"(?:^|\s)(?:at|by|until|till|from|to|since|before|after|around|about|alle|dalle|alla|"
    r"entro|ore|um|ab|bis|gegen|seit|nach|ca\.|à|a|de|desde|hasta|las|la|às|até|om|tot|vanaf|"
    r"sinds|rond|o|od|do|przed|po|około|godz\.)$",
    re.IGNORECASE,
)
_CLOCK_END = re.compile(rf"{_CLOCK}\)?\s*$", re.IGNORECASE)


def _said_in_words(text: str, trailing: re.Match[str]) -> bool:
    """Whether a trailing clock time is part of the point's sentence (a word such as "at" or
    "alle" comes right before it) rather than a label glued to its end."""
    matched = trailing.group(0)
    if not matched[:1].isspace() or matched.strip()[:1] in "|–—•·(-":
        return False  # set off by a separator: a label
    if _CLOCK_END.match(matched.strip()) is None:
        return False  # "… ago", "Share": never part of the sentence
    return _TIME_PREPOSITION.search(text[: trailing.start()].rstrip()) is not None


def clean_point(text: str) -> str:
    """A point as a person would write it: whitespace collapsed; times, "Updated … ago" and
    share labels at either end dropped."""
    text = strip_leading_time(collapse_whitespace(text))
    for _ in range(3):
        if not _may_trail(text):
            break
        # A trailing time or label is short: only the end is searched (a match from the very
        # start is never cut anyway).
        found = _TRAILING.search(text, max(0, len(text) - TRAILING_WINDOW))
        if found is None or found.start() == 0 or _said_in_words(text, found):
            break
        text = text[: found.start()].rstrip(" ,;–—|-")
    return text


def clean_points(texts: Iterable[str], limit: int = MAX_POINTS) -> tuple[str, ...]:
    """Cleaned, non-empty, case-insensitively distinct points, at most ``limit``."""
    points: list[str] = []
    seen: set[str] = set()
    for raw in texts:
        if len(points) >= limit:
            break
        text = clean_point(raw)
        key = text.casefold()
        if not text or key in seen:
            continue
        seen.add(key)
        points.append(truncate(text, POINT_MAX_CHARS))
    return tuple(points)


def is_plain_point_list(texts: list[str]) -> bool:
    """Rule 2: a list of 2–10 items, each shorter than ``ITEM_MAX_CHARS``, two of them with text."""
    if not RULE2_MIN_ITEMS <= len(texts) <= RULE2_MAX_ITEMS:
        return False
    if any(len(t) >= ITEM_MAX_CHARS for t in texts):
        return False
    return sum(1 for t in texts if t) >= RULE2_MIN_ITEMS


def fallback_points(text: str, title: str) -> tuple[str, ...]:
    """Rule 3: the first sentence of ``text``, else ``title``."""
    text = clean_point(text) if text else ""
    if text:
        return (first_sentence(text),)
    title = collapse_whitespace(title) if title else ""
    return (truncate(title, POINT_MAX_CHARS),) if title else ()
