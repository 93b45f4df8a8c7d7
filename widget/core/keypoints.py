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
    "AGE_FORMS",
    "AGE_UNITS",
    "ANCHOR_MAX_CHARS",
    "ITEM_MAX_CHARS",
    "JUST_NOW",
    "MAX_POINTS",
    "PHRASES",
    "announces",
    "clean_point",
    "clean_points",
    "fallback_points",
    "is_plain_point_list",
    "relative_age",
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
    "sv": (
        "det här vet vi", "detta vet vi", "det vet vi", "det viktigaste", "det här har hänt",
        "sammanfattning", "i korthet", "kort om",
    ),
    "da": (
        "det ved vi", "det vigtigste", "kort fortalt", "overblik", "det skal du vide",
        "hovedpunkter", "sammenfatning",
    ),
    "no": (
        "dette vet vi", "det vi vet", "det viktigste", "kort oppsummert", "oppsummering",
        "hovedpunkter", "dette har skjedd",
    ),
    "cs": (
        "co víme", "co zatím víme", "nejdůležitější", "nejdůležitější informace", "shrnutí",
        "ve zkratce", "stručně", "co se stalo", "hlavní body",
    ),
    "ro": (
        "ce știm", "ce știm până acum", "pe scurt", "cele mai importante", "esențialul",
        "rezumat", "ce s-a întâmplat", "principalele informații",
    ),
    "tr": (
        "neler biliyoruz", "ne biliyoruz", "öne çıkanlar", "özet", "kısaca", "neler oldu",
        "önemli gelişmeler", "ana başlıklar",
    ),
}  # fmt: skip

_APOSTROPHES = "'’ʼ`´"
# Letters written two ways: Romanian "ș"/"ț" with a comma or (older fonts) a cedilla.
_VARIANTS = {"ș": "[șş]", "ț": "[țţ]"}


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    parts = []
    for phrase in sorted(set(phrases), key=len, reverse=True):
        escaped = re.escape(phrase).replace("'", f"[{_APOSTROPHES}]")
        for letter, either in _VARIANTS.items():
            escaped = escaped.replace(letter, either)
        parts.append(escaped.replace(r"\ ", r"\s+").replace(r"\-", r"[\s-]"))
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


_PHRASE = _phrase_pattern(p for table in PHRASES.values() for p in table)
_WORD = re.compile(r"\w+")
_FOLD = str.maketrans({"ş": "ș", "ţ": "ț"})


def _key_word(phrase: str) -> str:
    """The longest word of a phrase: a text without it cannot hold the phrase."""
    words: list[str] = _WORD.findall(phrase.casefold().translate(_FOLD))
    return max(words, key=len)


_KEY_WORDS = frozenset(_key_word(p) for table in PHRASES.values() for p in table)


def announces(text: str) -> bool:
    """Whether a short heading or label announces key points, in any supported language. (The
    phrase search runs only on a text holding one of the phrases' longest words.)"""
    folded = text.casefold()
    if "ş" in folded or "ţ" in folded:
        folded = folded.translate(_FOLD)
    words = _WORD.findall(folded)
    if _KEY_WORDS.isdisjoint(words):
        return False
    return _PHRASE.search(text) is not None


# --- relative ages: "5 min ago", "vor 3 Minuten", "il y a 2 h" -------------------------------

# How publishers print a post's age, per language ("{n}" stands for the number and its unit),
# the unit words with their length in seconds, the words for "one" ("an hour ago", "vor einer
# Stunde"; a unit alone is one: "godzinę temu", "před hodinou"), and the words for "just now"
# (an age of nothing, only as the whole text of a time label). One table each: a language is
# added here and nowhere else.
AGE_FORMS: dict[str, tuple[str, ...]] = {
    "en": ("{n} ago",), "de": ("vor {n}",), "fr": ("il y a {n}",), "es": ("hace {n}",),
    "it": ("{n} fa",), "pt": ("há {n}",), "nl": ("{n} geleden",), "pl": ("{n} temu",),
    "sv": ("för {n} sedan", "{n} sedan"), "da": ("for {n} siden", "{n} siden"),
    "no": ("for {n} siden", "{n} siden"), "cs": ("před {n}",), "ro": ("acum {n}",),
    "tr": ("{n} önce",),
}  # fmt: skip
_S, _MIN, _H, _D, _W = 1, 60, 3600, 86_400, 604_800
AGE_UNITS: dict[str, dict[int, str]] = {
    "en": {_S: "s sec secs second seconds", _MIN: "m min mins minute minutes",
           _H: "h hr hrs hour hours", _D: "d day days", _W: "wk week weeks"},
    "de": {_S: "sek sekunde sekunden", _MIN: "min minute minuten", _H: "std stunde stunden",
           _D: "tag tagen", _W: "woche wochen"},
    "fr": {_S: "s sec seconde secondes", _MIN: "mn min minute minutes", _H: "h heure heures",
           _D: "j jour jours", _W: "semaine semaines"},
    "es": {_S: "s seg segundo segundos", _MIN: "min minuto minutos", _H: "h hora horas",
           _D: "d día días dia dias", _W: "semana semanas"},
    "it": {_S: "s sec secondo secondi", _MIN: "min minuto minuti", _H: "h ora ore",
           _D: "g giorno giorni", _W: "settimana settimane"},
    "pt": {_S: "s seg segundo segundos", _MIN: "min minuto minutos", _H: "h hora horas",
           _D: "d dia dias", _W: "semana semanas"},
    "nl": {_S: "s sec seconde seconden", _MIN: "min minuut minuten", _H: "u uur",
           _D: "dag dagen", _W: "week weken"},
    "pl": {_S: "s sek sekunda sekundy sekund sekundę", _MIN: "min minuta minuty minut minutę",
           _H: "godz godzina godziny godzin godzinę", _D: "dzień dni dnia", _W: "tydzień tygodnie"},
    "sv": {_S: "sek sekund sekunder", _MIN: "min minut minuter", _H: "tim timme timmar",
           _D: "dag dagar", _W: "vecka veckor"},
    "da": {_S: "sek sekund sekunder", _MIN: "min minut minutter", _H: "t time timer",
           _D: "dag dage døgn", _W: "uge uger"},
    "no": {_S: "sek sekund sekunder", _MIN: "min minutt minutter", _H: "t time timer",
           _D: "dag dager døgn", _W: "uke uker"},
    "cs": {_S: "s sekundou sekundami", _MIN: "min minutou minutami", _H: "hod hodinou hodinami",
           _D: "dnem dny", _W: "týdnem týdny"},
    "ro": {_S: "sec secundă secunde", _MIN: "min minut minute", _H: "h oră ore",
           _D: "zi zile", _W: "săptămână săptămâni"},
    "tr": {_S: "sn saniye", _MIN: "dk dakika", _H: "sa saat", _D: "gün", _W: "hafta"},
}  # fmt: skip
AGE_ONE = "a an one einer einem un une una uno um uma een en ett et o bir jedną jedna jeden"
JUST_NOW: dict[str, tuple[str, ...]] = {
    "en": ("just now", "a moment ago", "moments ago", "a few seconds ago"),
    "de": ("gerade eben", "soeben", "vor wenigen sekunden"), "fr": ("à l'instant",),
    "es": ("hace un momento", "hace unos segundos", "ahora mismo"),
    "it": ("adesso", "pochi secondi fa", "proprio ora"), "pt": ("agora mesmo", "há instantes"),
    "nl": ("zojuist", "net"), "pl": ("przed chwilą", "teraz"), "sv": ("just nu",),
    "da": ("lige nu",), "no": ("akkurat nå", "nå nettopp"), "cs": ("před chvílí", "právě teď"),
    "ro": ("chiar acum", "acum câteva secunde"), "tr": ("az önce", "şimdi"),
}  # fmt: skip

_AGE_UNIT_SECONDS = {
    word: seconds
    for units in AGE_UNITS.values()
    for seconds, words in units.items()
    for word in words.split()
}
_AGE_PAIRS = frozenset(
    tuple(part.strip() for part in form.split("{n}"))
    for forms in AGE_FORMS.values()
    for form in forms
)  # ("vor", ""), ("", "ago"), ("för", "sedan")…
_AGE_BEFORE = sorted({before for before, _ in _AGE_PAIRS if before}, key=len, reverse=True)
_AGE_AFTER = sorted({after for _, after in _AGE_PAIRS if after}, key=len, reverse=True)
_AGE_ONE = frozenset(AGE_ONE.split())
_JUST_NOW = frozenset(p for table in JUST_NOW.values() for p in table)
_AGE_ALONE = sorted(
    {b for b, a in _AGE_PAIRS if b and (b, "") in _AGE_PAIRS}, key=len, reverse=True
)
_AGE_PAIRED = sorted({b for b, a in _AGE_PAIRS if b and (b, "") not in _AGE_PAIRS})
# The first word of every age (a text opening with another word is none).
_AGE_STARTS = frozenset(
    [w.split()[0] for w in (*_AGE_BEFORE, *_JUST_NOW)]
    + [*_AGE_ONE, *_AGE_UNIT_SECONDS, "about", "around", "over", "almost", "less"]
)


def _words_re(words: Iterable[str]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in words)


# An age at the start of a text: words before, a number (or a word for one), a unit, words
# after ("vor 3 Min.", "il y a 2 h", "5 minuti fa", "for 2 timer siden"). Which words go
# together and which units exist is checked in Python from the tables above.
_AGE = re.compile(
    rf"(?:(?:about|around|over|almost|less than)\s+)?(?:({_words_re(_AGE_BEFORE)})\s+)?"
    rf"(?:(\d{{1,3}})\s*|({_words_re(sorted(_AGE_ONE, key=len, reverse=True))})(?:\s+|')|)"
    r"([^\W\d_]{1,12})(?![^\W\d_])\.?"
    rf"(?:\s+({_words_re(_AGE_AFTER)})(?![^\W\d_]))?",
    re.IGNORECASE,
)


_AGE_UNITS_RE = _words_re(sorted(_AGE_UNIT_SECONDS, key=len, reverse=True))


def relative_age(text: str) -> tuple[int, int] | None:
    """The age ``text`` opens with ("5 min ago", "vor 2 Std.", "il y a 2 heures", "hace 5
    minutos", "2 ore fa", "há 3 horas", "3 minuten geleden", "2 godziny temu", "för 5 minuter
    sedan", "před 2 hodinami", "acum o oră", "3 saat önce"; "just now" as the whole text) as
    (seconds, characters read); None when it opens with none."""
    head = text[:60]
    words = head.casefold().split(None, 1)
    if not words:
        return None
    first = words[0]
    if not first[0].isdigit() and first.split("'", 1)[0].rstrip(".") not in _AGE_STARTS:
        return None  # most texts: one look at the first word
    key = " ".join(head.casefold().split()).rstrip(".!:").replace("’", "'")
    if key in _JUST_NOW:
        return 0, len(head.rstrip())
    found = _AGE.match(text)
    if found is None:
        return None
    before, digits, one, unit, after = found.groups()
    pair = (" ".join((before or "").casefold().split()), (after or "").casefold())
    seconds = _AGE_UNIT_SECONDS.get(unit.casefold())
    if seconds is None or pair not in _AGE_PAIRS:
        return None
    if not digits and not one and len(unit) < 3:
        return None  # "vor h": a unit alone is written out ("godzinę temu")
    count = int(digits) if digits else 1
    return count * seconds, found.end()


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
# The other forms of ``AGE_FORMS`` at the start of a point, with the units of ``AGE_UNITS`` (at
# its end they are found by ``_trailing_age``).
_MORE_AGES = (
    rf"(?:(?:{_words_re(_AGE_PAIRED)})\s+)?\d{{1,3}}\s*(?:{_AGE_UNITS_RE})\.?\s+"
    rf"(?:{_words_re(_AGE_AFTER)})(?!\w)"
    rf"|(?:{_words_re(_AGE_ALONE)})\s+\d{{1,3}}\s*(?:{_AGE_UNITS_RE})(?!\w)\.?"
)
_DATE = r"(?:\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?|\d{4}-\d{2}-\d{2})"
# Labels of share tools and links that end up inside a point ("Share", "Read more"…).
_LABEL_ENDINGS = (
    "share", "share this", "copy link", "link copied", "read more", "mehr lesen", "teilen",
    "partager", "compartir", "condividi",
)  # fmt: skip
_LABEL = "(?:" + "|".join(map(re.escape, sorted(_LABEL_ENDINGS, key=len, reverse=True))) + ")"
_LEADING = re.compile(
    rf"^(?:(?:{_DATE},?\s*)?{_CLOCK}|{_AGO}|{_MORE_AGES}|updated|{_LABEL})(?:[\s:|–—•·-]+|$)",
    re.IGNORECASE,
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


_AGE_TAIL_CHARS = 48
_AGE_TAIL = re.compile(rf"(?:^|[\s|–—•·(-]+)\(?((?:{_AGE.pattern}))\)?\s*$", re.IGNORECASE)
_AGE_ALONE_WORDS = frozenset(w.split()[0] for w in _AGE_ALONE)  # "vor", "il", "hace"…
_AGE_AFTER_WORDS = frozenset(_AGE_AFTER)


def _trailing_age(text: str) -> int | None:
    """Where an age that ends ``text`` starts ("… 3 minuten geleden", "… před 5 min", "… an
    hour ago"); None when none does. (Searched only when one of the last words can be part of
    one.)"""
    start = max(0, len(text) - _AGE_TAIL_CHARS)
    words = text[start:].casefold().split()
    if len(words) < 3:
        return None
    last = words[-1].rstrip(".)")
    if last not in _AGE_AFTER_WORDS and _AGE_ALONE_WORDS.isdisjoint(words[-5:-1]):
        return None
    found = _AGE_TAIL.search(text, start)
    if found is None or found.start() == 0:
        return None
    age = relative_age(found.group(1))
    return found.start() if age is not None and age[1] >= len(found.group(1)) else None


def clean_point(text: str) -> str:
    """A point as a person would write it: whitespace collapsed; times, "Updated … ago" and
    share labels at either end dropped."""
    text = strip_leading_time(collapse_whitespace(text))
    for _ in range(3):
        cut = _trailing_age(text)
        if cut is None:
            if not _may_trail(text):
                break
            # A trailing time or label is short: only the end is searched (a match from the
            # very start is never cut anyway).
            found = _TRAILING.search(text, max(0, len(text) - TRAILING_WINDOW))
            if found is None or found.start() == 0 or _said_in_words(text, found):
                break
            cut = found.start()
        text = text[:cut].rstrip(" ,;–—|-")
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


def sentence_points(text: str, limit: int = MAX_POINTS) -> tuple[str, ...]:
    """The sentences of a short summary as points (a JSON-LD ``abstract``): () for an empty text
    or one of a single sentence longer than a point may be."""
    text = collapse_whitespace(text) if text else ""
    sentences: list[str] = []
    while text and len(sentences) < limit:
        sentence = first_sentence(text)
        if not sentence or sentence.endswith("…") or not text.startswith(sentence):
            break
        sentences.append(sentence)
        text = text[len(sentence) :].lstrip()
    return clean_points(sentences, limit)
