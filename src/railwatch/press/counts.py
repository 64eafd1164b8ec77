"""Railcar counts in one sentence: which number counts which railcars, where, in what role.

A number becomes a count only when a railcar noun owns it: right after it ("73 freight
cars", "73 nouveaux wagons"), right before it through a total word ("freight cars,
totalling approximately 73"), before it with a counter in Korean ("화차 73량"), or a
bare number with a maximum ("at most 20") in a sentence about railcars. Its role comes
from its own clause (the sentence cut at "while", "compared with", "contre", ";"…):

- ``prior_max``: a maximum set in the past ("never more than 25 over five years",
  "20 cars were seen there at most in the past");
- ``baseline``: a typical or earlier level ("usually 20", "up from 20", "in 2019");
- ``change``: a difference ("an increase of 25 wagons", "53 more cars");
- ``unrelated``: a capacity, a rate or a length ("room for 200 cars", "40 a day");
- ``unclear``: a plan or a possibility ("could hold 90 wagons");
- ``breakdown``: a count of one class (open, box, tank…), part of a list or alone;
- ``current``: what the imagery shows, when nothing above applies.

Cues that float in a clause (past, typical, modal) belong to the count nearest to them,
so "73 cars, a jump from at most 20 in the past five years" gives the past to 20 only.
The patterns live in :mod:`railwatch.press.lexicon`, one table per language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from railwatch.press import lexicon
from railwatch.press.gazetteer import Mention
from railwatch.press.lexicon import rx
from railwatch.press.numbers import Number

_RANGE = re.compile(
    r"\s*(?:and|to|or|à|et|ou|tot|en|of|bis|und|oder|до|или|и|y|a|o|~|-|–|—)\s*|[-–~]",
    re.IGNORECASE,
)
_NEVER = r"never|jamais|nooit|nie|niemals|никогда|한 번도|nunca|jamás"
_COMPARED = {
    "en": r"up from|down from|from|compared (?:with|to)|against|versus|vs\.?",
    "fr": r"contre|par rapport à|comparé à|au lieu de",
    "nl": r"tegen|tegenover|vergeleken met|ten opzichte van",
    "de": r"gegenüber|verglichen mit|nach|statt",
    "ru": r"против|по сравнению с|вместо",
    "ko": r"",
    "es": r"frente a|en comparación con|comparado con|contra",
}
_ONE = {
    "en": r"one|a single",
    "fr": r"un|une|un seul|une seule",
    "nl": r"een|één",
    "de": r"ein|eine|einen|einem",
    "ru": r"один|одна|одну|одного",
    "es": r"un|una|uno",
}
_PREVIOUS_PEAK = r"previous|prior|précédent|vorig|vorher|vorigen|прежн|предыдущ|이전|anterior"


@dataclass(frozen=True)
class Count:
    """One number a railcar noun owns, with its role and the words that decided it."""

    value: int
    start: int  # the quote: qualifier, number and noun
    end: int
    number: Number
    noun: str
    railcar_class: str
    qualifier: str  # exact | approx | at_least | at_most
    qualifier_text: str
    role: str
    cue: str  # the words that gave the role ("" for a plain current count)
    clause: tuple[int, int]
    window_years: int | None = None
    window_span: tuple[int, int] | None = None
    low: int | None = None  # the lower end of a range ("between 60 and 70")


@lru_cache(maxsize=16)
def noun_pattern(lang: str) -> re.Pattern[str] | None:
    """Every railcar noun of a language as one pattern, specific names first."""
    table = lexicon.RAILCARS.get(lang)
    if not table:
        return None
    alt = "|".join(f"(?:{p})" for p, _ in table)
    if lang == "ko":
        return rx(f"(?:{alt})")
    return rx(rf"(?<![\w])(?:{alt})(?![\w])")


def railcar_class(noun: str, lang: str) -> str:
    """The railwatch class of a railcar noun (``total`` when the table has no better)."""
    for pattern, cls in lexicon.RAILCARS.get(lang, []):
        if rx(rf"^(?:{pattern})$").match(noun.strip()):
            return cls
    return "total"


def clauses(text: str, s: int, e: int) -> list[tuple[int, int]]:
    """The sentence ``text[s:e]`` cut at clause breaks."""
    out = []
    pos = s
    for m in rx(lexicon.CLAUSE_BREAK).finditer(text, s, e):
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end() if m.end() > m.start() else m.start()
    out.append((pos, e))
    return [(a, b) for a, b in out if b > a]


def _clause_of(cls: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    return next((c for c in cls if c[0] <= pos < c[1]), cls[-1])


def _qualifier_before(text: str, cs: int, pos: int, lang: str) -> tuple[str, int, str]:
    before = text[max(cs, pos - 45) : pos]
    for kind in ("at_most", "at_least", "approx"):
        frag = lexicon.QUALIFIERS[kind].get(lang)
        if kind == "at_most" and lexicon.MAX_AFTER.get(lang):
            # A maximum word reads the same before the number as after it ("como mucho
            # 22 vagones", "22 vagones como mucho"): one vocabulary, both positions.
            frag = "|".join(f for f in (frag, lexicon.MAX_AFTER[lang]) if f)
        if not frag:
            continue
        m = rx(rf"(?<![\w])(?:{frag})\s*(?:(?:de|d['’]|of|van)\s*)?$").search(before)
        if m:
            return kind, pos - len(before) + m.start(), m[0].strip()
    return "exact", pos, ""


def _noun_after(text: str, n: Number, e: int, lang: str) -> re.Match | None:
    noun = noun_pattern(lang)
    if noun is None:
        return None
    if lang == "ko":
        return rx(rf"\s*(?:{lexicon.KO_COUNTERS})").match(text, n.end, e)
    gap = r"[\s\u00a0]*(?:[^\W\d_]{2,15}[\s\u00a0]+)?"
    m = rx(rf"[\s\u00a0]*({noun.pattern})").match(text, n.end, e)
    if m is None:
        m = rx(rf"{gap}({noun.pattern})").match(text, n.end, e)
    return m


def _ko_noun_before(text: str, s: int, pos: int) -> re.Match | None:
    """The Korean railcar noun that owns the number at ``pos`` ("화차는 모두 55량").

    Between the noun and its number may stand a particle and any one qualifier or
    total word of the lexicon ("약", "최대", "모두", "총"), so the class is never lost
    to the word that says how the number was counted.
    """
    noun = noun_pattern("ko")
    assert noun is not None
    between = "|".join(
        f
        for f in (
            *(lexicon.QUALIFIERS[k].get("ko", "") for k in ("approx", "at_least", "at_most")),
            lexicon.TOTAL_AFTER.get("ko", ""),
            lexicon.MAX_AFTER.get("ko", ""),
        )
        if f
    )
    return rx(rf"({noun.pattern})\s*(?:은|는|이|가|을|를|도)?\s*(?:(?:{between})\s*)?$").search(
        text, max(s, pos - 20), pos
    )


def _noun_before_total(text: str, cs: int, n: Number, lang: str) -> re.Match | None:
    noun = noun_pattern(lang)
    total = lexicon.TOTAL_AFTER.get(lang)
    if noun is None or not total or lang == "ko":
        return None
    approx = lexicon.QUALIFIERS["approx"].get(lang, "")
    tail = (
        rf"({noun.pattern})(?:[\s,]+[^\W\d_]+){{0,4}}?[\s,(—–-]*(?:{total})[\s:]*(?:d['’]|de\s+)?(?:(?:{approx})\s*)?"
        r"(?:(?:de|of)\s*)?$"
    )
    return rx(tail).search(text, max(cs, n.start - 70), n.start)


def _near(cue: re.Match, a: int, b: int) -> int:
    return max(cue.start() - b, a - cue.end(), 0)


def find(
    text: str,
    lang: str,
    s: int,
    e: int,
    numbers: list[Number],
    windows: list[tuple[Number, int, int]],
    *,
    after_railcars: bool = False,
) -> list[Count]:
    """The railcar counts of sentence ``text[s:e]``, each with its role.

    ``after_railcars`` says the sentence before named railcars, so a number that ends
    a clause with nothing after it ("… there were about fifty.") counts them.
    """
    cls = clauses(text, s, e)
    window_ids = {id(w[0]) for w in windows}
    raw: list[dict] = []
    # "between 60 and 70 wagons", "60 à 70 wagons", "от 60 до 70": one count, a range.
    lows: dict[int, Number] = {}
    for a, b in zip(numbers, numbers[1:], strict=False):
        if _RANGE.fullmatch(text[a.end : b.start]) and a.value < b.value:
            lows[id(b)] = a
    low_ids = {id(v) for v in lows.values()}
    noun_rx = noun_pattern(lang)
    sentence_has_noun = bool(noun_rx and noun_rx.search(text, s, e))
    for n in numbers:
        if id(n) in low_ids:
            continue
        if id(n) in window_ids or n.value < 1 or (1900 <= n.value <= 2100 and not n.approximate):
            continue
        cs, ce = _clause_of(cls, n.start)
        if rx(r"^[\s\u00a0]+\d").match(text[n.end : n.end + 4]):
            continue  # "unos 41": a word that reads as one before the number itself
        if rx(r"^\s*(?:%|per ?cent|pour ?cent|procent|Prozent|процент|퍼센트|por ciento)").match(
            text[n.end : n.end + 12]
        ):
            continue
        noun_m = _noun_after(text, n, e, lang)
        noun, end = "", n.end
        ko_noun = None
        if noun_m is not None:
            end = noun_m.end()
            noun = noun_m[1] if lang != "ko" else ""
            if lang == "ko":
                ko_noun = _ko_noun_before(text, s, n.start)
                noun = ko_noun[1] if ko_noun else ""
        else:
            before = _noun_before_total(text, cs, n, lang)
            if before is not None:
                noun = before[1]
                raw.append({"n": n, "start": before.start(1), "end": n.end, "noun": noun})
                continue
        qual_before = _qualifier_before(text, cs, n.start, lang)
        if noun_m is None:
            # A bare number: only with a maximum in a sentence about railcars ("at most 20").
            after_max = lexicon.MAX_AFTER.get(lang)
            m_after = after_max and rx(rf"^\s*(?:{after_max})(?![\w])").match(text[n.end : ce])
            elliptic = (
                (after_railcars or sentence_has_noun)
                and rx(r"^\s*(?:[.;!?]|$)").match(text[n.end : ce + 1])
                and (qual_before[0] != "exact" or _observed(text, lang, cs, ce))
            )
            if not elliptic and (
                not (sentence_has_noun or windows)
                or not (qual_before[0] == "at_most" or m_after or (lang == "ko" and qual_before[2]))
            ):
                continue
        low = lows.get(id(n))
        if low is not None:
            qual_before = _qualifier_before(text, cs, low.start, lang)
            qual_before = ("range", qual_before[1], text[qual_before[1] : n.start].strip())
        start = qual_before[1]
        if ko_noun is not None:
            start = min(start, ko_noun.start(1))
        raw.append(
            {
                "n": n,
                "start": start,
                "end": end,
                "noun": noun,
                "qual": qual_before,
                "low": low.value if low else None,
            }
        )
    # "one passenger car" counts in a list of counts.
    one = _ONE.get(lang)
    if raw and one and noun_rx is not None:
        for m in rx(rf"(?<![\w])({one})[\s\u00a0]+({noun_rx.pattern})").finditer(text, s, e):
            if any(r["start"] <= m.start() < r["end"] for r in raw):
                continue
            if railcar_class(m[2], lang) in {"total", "freight"}:
                continue
            n1 = Number(1, m.start(1), m.end(1), m[1])
            raw.append({"n": n1, "start": m.start(), "end": m.end(), "noun": m[2]})
    raw.sort(key=lambda r: r["start"])
    others = [n for n in numbers if id(n) not in window_ids]
    return [_role(text, lang, cls, r, raw, windows, others) for r in raw]


def _observed(text: str, lang: str, s: int, e: int) -> bool:
    frag = lexicon.OBSERVED.get(lang)
    if not frag:
        return False
    pattern = rx(frag) if lang == "ko" else rx(rf"(?<![\w])(?:{frag})(?![\w])")
    return pattern.search(text, s, e) is not None


def _owner(
    cue_a: int, cue_b: int, raw: list[dict], clause: tuple[int, int], numbers: list[Number]
) -> dict | None:
    """The count a floating cue belongs to: the nearest number of its clause, if a count.

    Every number competes, counted or not, so "about 70 cars …, on average 12" gives
    "on average" to 12 (no railcar count) rather than to 70.
    """
    spans = {id(r["n"]): r for r in raw}
    inside = [  # "un" in "un maximum de vingt" is part of a count's words, not a rival
        n
        for n in numbers
        if clause[0] <= n.start < clause[1]
        and (id(n) in spans or not any(r["start"] <= n.start < r["end"] for r in raw))
        and (id(n) in spans or n.value > 1 or n.text.isdigit())  # "à un moment": an article
    ]
    for r in raw:
        if id(r["n"]) not in {id(n) for n in inside} and clause[0] <= r["n"].start < clause[1]:
            inside.append(r["n"])

    def gap(n: Number) -> int:
        r = spans.get(id(n))
        a, b = (r["start"], r["end"]) if r else (n.start, n.end)
        return max(a - cue_b, cue_a - b, 0)

    nearest = min(inside, key=gap, default=None)
    return spans.get(id(nearest)) if nearest is not None else None


def _role(
    text: str,
    lang: str,
    cls: list[tuple[int, int]],
    r: dict,
    raw: list[dict],
    windows: list[tuple[Number, int, int]],
    numbers: list[Number],
) -> Count:
    n: Number = r["n"]
    clause = _clause_of(cls, n.start)
    cs, ce = clause
    qual = r.get("qual") or _qualifier_before(text, cs, n.start, lang)
    kind, qtext = qual[0], qual[2]
    if r.get("low") is not None:
        kind = "range"
    if n.approximate and kind == "exact":
        kind, qtext = "approx", n.text
    noun = r["noun"]
    klass = railcar_class(noun, lang) if noun else "total"
    start, end = min(r["start"], qual[1]), r["end"]
    after = text[end:ce]
    m_max = rx(rf"^(?:[\s,]+[^\W\d_]+){{0,5}}?\s*(?:{lexicon.MAX_AFTER.get(lang, 'x^')})(?![\w])")
    max_after = m_max.match(after) if lang in lexicon.MAX_AFTER else None
    if max_after is not None and kind in {"exact", "approx"}:
        kind, qtext = "at_most", max_after[0].strip(" ,")

    def owned(table: dict[str, str]) -> re.Match | None:
        frag = table.get(lang)
        if not frag:
            return None
        frag = lexicon.gapped(frag)  # "in the recent past", "bis zuletzt nie"
        pattern = rx(frag) if lang == "ko" else rx(rf"(?<![\w])(?:{frag})(?![\w])")
        for m in pattern.finditer(text, cs, ce):
            if start <= m.start() < end:
                continue
            if _owner(m.start(), m.end(), raw, clause, numbers) is r:
                return m
        return None

    def adjacent_before(frag: str | None, span: int = 40, gap: str = "") -> re.Match | None:
        if not frag:
            return None
        return rx(rf"(?<![\w])(?:{frag}){gap}\s*$").search(text, max(cs, start - span), start)

    def adjacent_after(frag: str | None, span: int = 30, pre: str = r"[\s,]*") -> re.Match | None:
        if not frag:
            return None
        pre = r"\s*" if lang == "ko" else pre
        return rx(rf"^{pre}(?:{frag})").match(text[end : min(ce, end + span)]) or rx(
            rf"^{pre}(?:{frag})"
        ).match(text[n.end : min(ce, n.end + span)])

    window = next(
        (w for w in windows if cs <= w[1] < ce and _owner(w[1], w[2], raw, clause, numbers) is r),
        None,
    )
    role, cue = "", ""
    if m := adjacent_after(lexicon.CHANGE_AFTER.get(lang), 30, r"\s*") or adjacent_before(
        lexicon.CHANGE_BEFORE.get(lang), 30
    ):
        role, cue = "change", m[0]
    elif m := adjacent_after(lexicon.UNRELATED.get(lang), 25) or adjacent_before(
        lexicon.UNRELATED.get(lang), 40, r"(?:\s+[^\W\d_]{1,5}){0,2}"
    ):
        role, cue = "unrelated", m[0]
    elif m := owned(lexicon.TYPICAL):
        # "usually at most ten" is a peak of the ordinary; "usually ten" a level.
        role, cue = ("prior_max" if kind == "at_most" else "baseline"), m[0]
    else:
        past = owned(lexicon.PAST)
        compared = adjacent_before(_COMPARED.get(lang) or None, 60)
        never = rx(rf"(?<![\w])(?:{_NEVER})(?![\w])").search(text, cs, ce)
        if never and kind == "at_least":
            kind = "at_most"  # "never more than 25" is at most 25
        if kind == "at_most" and rx(_PREVIOUS_PEAK).search(qtext):
            role, cue = "prior_max", qtext
        elif kind == "at_most" and (past or window):
            role, cue = "prior_max", (past[0] if past else text[window[1] : window[2]])
        elif past or window:
            role, cue = "baseline", past[0] if past else text[window[1] : window[2]]
        elif compared:
            role, cue = ("prior_max" if kind == "at_most" else "baseline"), compared[0].strip()
        elif m := owned(lexicon.MODAL):
            role, cue = "unclear", m[0]
        else:
            role = "current" if klass in {"total", "freight"} else "breakdown"
    return Count(
        value=n.value,
        start=start,
        end=end,
        number=n,
        noun=noun,
        railcar_class=klass,
        qualifier=kind,
        qualifier_text=qtext,
        role=role,
        cue=cue,
        clause=clause,
        window_years=window[0].value if window else None,
        window_span=(window[1], window[2]) if window else None,
        low=r.get("low"),
    )


def site_of(
    count: Count, counts: list[Count], mentions: list[Mention], s: int, e: int
) -> Mention | None:
    """The site a count is at, read from the order of numbers and places in its sentence.

    "175 ore cars … at A and 112 ore cars … at B": numbers come first, so each takes
    the next place after it. "At A, 44 open wagons …, at B 71": places come first, so
    each number takes the last place before it.
    """
    places = [m for m in mentions if m.kind == "site" and s <= m.start and m.end <= e]
    if not places:
        places = [m for m in mentions if m.kind == "region" and s <= m.start and m.end <= e]
    if not places:
        return None
    first_number = min(c.number.start for c in counts)
    if first_number < places[0].start:
        nxt = next((p for p in places if p.start >= count.end), None)
        return nxt or places[-1]
    prev = [p for p in places if p.end <= count.number.start]
    return prev[-1] if prev else places[0]


#: A year in a clause: a count beside it is dated by it, not by the report's imagery date.
YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
