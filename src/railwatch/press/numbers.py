"""Numbers in running text, as digits or words, with their exact character spans.

``text2num`` reads number words in fr, en, nl, de, es; Russian and Korean go
through a small table (tens and units, enough for railcar counts under 1000).
Spans index the text given, so claims can quote the original words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_T2N_LANGS = {"fr", "en", "nl", "de", "es", "pt", "it"}
_CONNECTORS = {"fr": {"et"}, "en": {"and"}, "nl": {"en"}, "de": {"und"}, "es": {"y"}}

# Approximate collective nouns: "une vingtaine" is about 20.
APPROX_WORDS: dict[str, int] = {
    "dizaine": 10,
    "douzaine": 12,
    "quinzaine": 15,
    "vingtaine": 20,
    "trentaine": 30,
    "quarantaine": 40,
    "cinquantaine": 50,
    "soixantaine": 60,
    "centaine": 100,
    "tiental": 10,
    "twintigtal": 20,
    "dertigtal": 30,
    "veertigtal": 40,
    "vijftigtal": 50,
    "zestigtal": 60,
    "zeventigtal": 70,
    "honderdtal": 100,
    "dozen": 12,
    "score": 20,
}

_RU_UNITS = {
    "один": 1,
    "одна": 1,
    "два": 2,
    "две": 2,
    "три": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
    "десять": 10,
    "одиннадцать": 11,
    "двенадцать": 12,
    "тринадцать": 13,
    "четырнадцать": 14,
    "пятнадцать": 15,
    "шестнадцать": 16,
    "семнадцать": 17,
    "восемнадцать": 18,
    "девятнадцать": 19,
}
_RU_TENS = {
    "двадцать": 20,
    "тридцать": 30,
    "сорок": 40,
    "пятьдесят": 50,
    "шестьдесят": 60,
    "семьдесят": 70,
    "восемьдесят": 80,
    "девяносто": 90,
    "сто": 100,
}
# Oblique cases: "около шестидесяти вагонов", "не более двадцати пяти" — the genitive
# that "около", "более", "до" govern, so a count after a qualifier reads as a number.
_RU_OBLIQUE = {
    **{w[:-1] + "и": v for w, v in _RU_UNITS.items() if w.endswith("ть")},
    **{"двадцати": 20, "тридцати": 30, "сорока": 40, "пятидесяти": 50, "шестидесяти": 60},
    **{"семидесяти": 70, "восьмидесяти": 80, "девяноста": 90, "ста": 100},
    **{"одного": 1, "одной": 1, "двух": 2, "трёх": 3, "трех": 3, "четырёх": 4},
    **{"четырех": 4, "семи": 7, "восьми": 8},
}
_KO_DIGITS = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}

# Digits not glued to letters ("20e" is an ordinal), except Korean counters ("73량").
_DIGITS = re.compile(r"(?<![\w.,])(\d{1,3}(?:[\u00a0\u202f ,.]\d{3})+|\d+)(?!(?![가-힣])\w)")
_WORD = re.compile(r"[^\W\d_]+(?:[-‑][^\W\d_]+)*")
_KO_NUMBER = re.compile(r"[일이삼사오육칠팔구]?십[일이삼사오육칠팔구]?|[일이삼사오육칠팔구]?백")


@dataclass(frozen=True)
class Number:
    value: int
    start: int
    end: int
    text: str
    approximate: bool = False  # "une vingtaine", "a dozen"


@lru_cache(maxsize=20000)
def word_value(word: str, lang: str) -> int | None:
    """The value of one number word (or hyphenated compound), or None."""
    low = word.lower()
    if lang == "ru":
        parts = re.split(r"[\s-]+", low)
        total = 0
        for p in parts:
            if p in _RU_UNITS:
                total += _RU_UNITS[p]
            elif p in _RU_TENS:
                total += _RU_TENS[p]
            elif p in _RU_OBLIQUE:
                total += _RU_OBLIQUE[p]
            else:
                return None
        return total
    if lang not in _T2N_LANGS:
        return None
    from text_to_num import text2num

    try:
        return int(text2num(low, lang))
    except (ValueError, IndexError, KeyError):
        return None


def _ko_value(text: str) -> int:
    total = 0
    if "백" in text:
        head, _, text = text.partition("백")
        total += 100 * (_KO_DIGITS.get(head, 1) if head else 1)
    if "십" in text:
        head, _, text = text.partition("십")
        total += 10 * (_KO_DIGITS.get(head, 1) if head else 1)
    return total + (_KO_DIGITS.get(text, 0) if text else 0)


#: Words text2num reads as 1 that are plural articles or "some" ("unos ochenta": about 80).
_PLURAL_ONES = {"unos", "unas", "unes"}


def _article(
    word: re.Match, value: int, alone: bool, rest: list[re.Match], text: str, lang: str
) -> bool:
    """Whether a word read as 1 is an article or "some" before another number.

    "unos ochenta vagones" is about eighty, not one and eighty; "un millier", "ein
    paar" likewise. A plural article is never the number one; a singular one directly
    followed by another number word ("una cuarentena") is an article of that number.
    """
    if value != 1 or not alone:
        return False
    if word[0].lower() in _PLURAL_ONES:
        return True
    if not rest or text[word.end() : rest[0].start()].strip(" \u00a0"):
        return False  # "one, two": a list, not an article
    nxt = rest[0]
    return word_value(nxt[0], lang) is not None or nxt[0].lower() in APPROX_WORDS


def find_numbers(text: str, lang: str) -> list[Number]:
    """All numbers in ``text``: digit groups and runs of number words, in order."""
    found: list[Number] = []
    for m in _DIGITS.finditer(text):
        raw = m[1]
        value = int(re.sub(r"\D", "", raw))
        found.append(Number(value, m.start(1), m.end(1), raw))
    if lang == "ko":
        for m in _KO_NUMBER.finditer(text):
            found.append(Number(_ko_value(m[0]), m.start(), m.end(), m[0]))
        return sorted(found, key=lambda n: n.start)
    connectors = _CONNECTORS.get(lang, set())
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        w = words[i]
        low = w[0].lower()
        if low in APPROX_WORDS:
            found.append(Number(APPROX_WORDS[low], w.start(), w.end(), w[0], approximate=True))
            i += 1
            continue
        if word_value(w[0], lang) is None:
            i += 1
            continue
        # Extend over following number words (and connectors between two of them).
        j = i
        while j + 1 < len(words):
            gap = text[words[j].end() : words[j + 1].start()]
            if gap.strip(" -\u00a0") or "\n" in gap:
                break
            nxt = words[j + 1][0]
            if word_value(nxt, lang) is not None:
                j += 1
                continue
            if (
                nxt.lower() in connectors
                and j + 2 < len(words)
                and word_value(words[j + 2][0], lang) is not None
                and not text[words[j + 1].end() : words[j + 2].start()].strip(" -\u00a0")
            ):
                j += 2
                continue
            break
        # The longest prefix that text2num accepts as one number.
        while j >= i:
            span = text[w.start() : words[j].end()]
            value = word_value(span, lang) if j > i else word_value(w[0], lang)
            if value is not None:
                if not _article(w, value, j == i, words[i + 1 :], text, lang):
                    found.append(Number(value, w.start(), words[j].end(), span))
                break
            j -= 1
        i = max(j, i) + 1
    return sorted(found, key=lambda n: n.start)
