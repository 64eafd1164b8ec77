"""What a report claims: counts, baselines, dates, places, sources, hedges, events.

Rules, not a model: each slot has a small grammar per language (``lexicon``)
applied sentence by sentence, so every claim carries the exact words it rests
on and its character span. Dates that depend on the publication date
("vendredi", "this week") are resolved only when that date is known to the day;
otherwise the claim says it is unresolved rather than guessing.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from railwatch.press import counts, gazetteer, lexicon
from railwatch.press.gazetteer import Mention
from railwatch.press.lexicon import rx, words
from railwatch.press.numbers import Number, find_numbers, word_value
from railwatch.press.records import Claim
from railwatch.records import Site

_SENTENCE_END = re.compile(
    r"(?<=[.!?…])[»”\"']?\s+(?=[«“\"'(\[]?\s?[A-ZÀ-ÝА-Я0-9가-힣])|\n\s*\n|\n(?=\S)"
)
_ORDINAL_DOT = re.compile(r"(?<![\w.])\d{1,2}\.$")
_MONTH_NEXT = re.compile(
    "(?:" + "|".join(m for ms in lexicon.MONTHS.values() for m in ms) + ")", re.IGNORECASE
)
_TRAFFIC = (
    r"trafic|traffic|verkeer|Verkehr|движени\w*|activit\w+|wagons?|cars|railcars|goederenwagons"
    r"|Güterwagen|вагон\w*|화차|운행|marchandises|fret|cargo|freight|goederen|lading|Fracht|груз\w*"
    r"|contenu|contents|inhoud|Inhalt|expéditions?|shipments?|zendingen|chargement|cargaison"
    r"|convois?|lading|loads?|Ladung|carga|cargamento|vagones|mercancías"
)


@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    text: str
    value: date | None  # the day (or first day of the week/month) when resolved
    precision: str  # day | week | month
    relative: bool
    until: date | None = None  # last day of a week/month span


def _sentences(text: str) -> list[tuple[int, int]]:
    spans = []
    pos = 0
    for m in _SENTENCE_END.finditer(text):
        if _ORDINAL_DOT.search(text, max(0, m.start() - 4), m.start()) and _MONTH_NEXT.match(
            text, m.end()
        ):
            continue  # "vom 5. Oktober": a German ordinal, not the end of a sentence
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _find(pattern: re.Pattern[str] | None, text: str, start: int, end: int) -> list[re.Match]:
    if pattern is None:
        return []
    return list(pattern.finditer(text, start, end))


def _month_range(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def _shift_month(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


def _dates(text: str, lang: str, s: int, e: int, base: date | None, precision: str) -> list[_Date]:
    """Explicit and relative dates in one sentence, resolved against the publication date."""
    found: list[_Date] = []
    for m in rx(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)").finditer(text, s, e):
        with contextlib.suppress(ValueError):  # 2023-02-30 is no date
            found.append(
                _Date(m.start(), m.end(), m[0], date(int(m[1]), int(m[2]), int(m[3])), "day", False)
            )
    for m in _NUMERIC_DATE.finditer(text, s, e):
        if lang != "en" and not any(d.start <= m.start() < d.end for d in found):
            value = _numeric_date(m[0], lang)
            if value is not None:
                found.append(_Date(m.start(), m.end(), m[0], value, "day", False))
    if lang == "ko":
        for m in rx(r"(?:(\d{4})년\s*)?(\d{1,2})월\s*(\d{1,2})일").finditer(text, s, e):
            found.append(_explicit(m, int(m[1]) if m[1] else None, int(m[2]), int(m[3]), base))
    months = lexicon.MONTHS.get(lang)
    if months:
        alt = "|".join(f"({name})" for name in months)
        month_rx = rf"(?:{alt})(?:[^\W\d]+|\.)?"
        day_first = rx(
            rf"(?<![\w])(\d{{1,2}})(?:er|\.|st|nd|rd|th)?\s+(?:de\s+)?{month_rx}"
            rf"(?:,?\s+(?:de\s+|del\s+)?(\d{{4}}))?"
        )
        for m in day_first.finditer(text, s, e):
            idx = next(i for i in range(12) if m.group(i + 2))
            found.append(_explicit(m, int(m[14]) if m[14] else None, idx + 1, int(m[1]), base))
        if lang == "en":
            month_first = rx(
                rf"(?<![\w]){month_rx}\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?"
                r"(?![\w])"
            )
            for m in month_first.finditer(text, s, e):
                if any(d.start <= m.start() < d.end for d in found):
                    continue
                idx = next(i for i in range(12) if m.group(i + 1))
                found.append(_explicit(m, int(m[14]) if m[14] else None, idx + 1, int(m[13]), base))
    for i, name in enumerate(lexicon.WEEKDAYS.get(lang, [])):
        pattern = rx(
            rf"(?<![\w]){name}\w*" if lang in {"ru", "ko"} else rf"(?<![\w]){name}(?![\w])"
        )
        for m in pattern.finditer(text, s, e):
            value = None
            if base is not None and precision == "day":
                value = base - timedelta(days=(base.weekday() - i) % 7)
            found.append(_Date(m.start(), m.end(), m[0], value, "day", True))
    for pattern, unit, amount in lexicon.RELATIVE.get(lang, []):
        for m in rx(pattern).finditer(text, s, e):
            value = until = None
            p = "day" if unit == "day" else unit
            if base is not None and (precision == "day" or (unit == "month" and precision)):
                if unit == "day" and precision == "day":
                    value = base + timedelta(days=amount)
                elif unit == "week" and precision == "day":
                    value = base - timedelta(days=base.weekday()) + timedelta(weeks=amount)
                    until = (
                        min(value + timedelta(days=6), base)
                        if amount == 0
                        else (value + timedelta(days=6))
                    )
                elif unit == "month":
                    value, until = _month_range(
                        *(lambda d: (d.year, d.month))(_shift_month(base, amount))
                    )
            found.append(_Date(m.start(), m.end(), m[0], value, p, True, until))
    return sorted(found, key=lambda d: d.start)


_NUMERIC_DATE = re.compile(r"(?<![\d.,/])\d{1,2}[./]\d{1,2}[./](?:19|20)\d\d(?![\d.,/]?\d)")


def _numeric_date(expression: str, lang: str) -> date | None:
    """A day written in figures the local way (05.10.2023, 5/10/2023), day first.

    dateparser reads it as a naive calendar date: no time zone can move it a day.
    English is left out, since "10/5/2023" is October 5 in the US and 10 May elsewhere.
    """
    parsed = _date_parser(lang if lang in _DATEPARSER_LANGS else "").get_date_data(expression)
    return parsed.date_obj.date() if parsed and parsed.date_obj else None


@lru_cache(maxsize=16)
def _date_parser(lang: str) -> Any:
    # One parser per language: building one loads its locales, which costs 0.1 s.
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=[lang] if lang else None,
        settings={"DATE_ORDER": "DMY", "RETURN_AS_TIMEZONE_AWARE": False, "STRICT_PARSING": True},
    )


_DATEPARSER_LANGS = {"fr", "nl", "de", "ru", "ko", "es"}


def _explicit(m: re.Match, year: int | None, month: int, day: int, base: date | None) -> _Date:
    if year is None and base is not None:
        year = (
            base.year
            if (month, day) <= (base.month, base.day) or base.month >= month
            else (base.year - 1)
        )
    try:
        value = date(year, month, day) if year else None
    except ValueError:
        value = None
    return _Date(m.start(), m.end(), m[0], value, "day", year is None and value is None)


def _nearest(mentions: list[Mention], pos: int, kinds: set[str], s: int, e: int) -> Mention | None:
    inside = [m for m in mentions if m.kind in kinds and s <= m.start and m.end <= e]
    return min(inside, key=lambda m: abs(m.start - pos), default=None)


def _distance(matches: list[re.Match], a: int, b: int) -> int:
    return min((max(m.start() - b, a - m.end(), 0) for m in matches), default=10**9)


def extract_claims(
    text: str,
    lang: str,
    published: datetime | date | None = None,
    sites: Sequence[Site] = (),
    *,
    published_precision: str | None = None,
) -> list[Claim]:
    """The claims ``text`` makes, in text order, each with its quote and span in ``text``.

    Args:
        text: the report's clean text.
        lang: its language code (``fr``, ``en``, ``nl``…); an unknown code still finds
            numbers in digits, places and sources, but no words.
        published: publication date, to resolve "Friday" or "this week".
        sites: the site catalogue; places resolve to these through their aliases.
        published_precision: ``day`` (default when ``published`` is given) or ``month``.

    Returns:
        Claims with offsets into ``text`` (``text[c.start:c.end] == c.quote``).
    """
    base = published.date() if isinstance(published, datetime) else published
    precision = (published_precision or "day") if base is not None else ""
    mentions = gazetteer.find(text, lang, sites)
    site_votes = Counter()
    for m in mentions:
        if m.kind in {"site", "region"}:
            site_votes[m.key] += 2 if m.kind == "site" else 1
    primary_site = site_votes.most_common(1)[0][0] if site_votes else None
    named_sources = [m.key for m in mentions if m.kind == "source"]
    think_tank = next((k for k in named_sources if k != "CSIS"), None) or (
        named_sources[0] if named_sources else None
    )
    numbers = find_numbers(text, lang)
    claims: list[Claim] = []
    places = {m.key for m in mentions if m.kind in {"site", "region"}}
    single_site = next(iter(places)) if len(places) == 1 else None
    pending: list[tuple[int, tuple[int, int], tuple[int, int]]] = []  # count claims to place
    dated: list[tuple[Claim, str]] = []  # every date claim and the role it was given

    def add(kind: str, value: dict, start: int, end: int, *, hedge: str = "", site=None) -> None:
        claims.append(Claim(kind, value, text[start:end], start, end, hedge=hedge, site=site))

    # Places and sources: one claim each, at the first mention, with the mention count.
    seen: dict[tuple[str, str], int] = Counter((m.kind, m.key) for m in mentions)
    done: set[tuple[str, str]] = set()
    for m in mentions:
        key = (m.kind, m.key)
        if key in done or m.kind == "think_tank":
            continue
        done.add(key)
        if m.kind in {"site", "region"}:
            add(
                "place",
                {"site": m.key, "role": m.kind, "alias": m.text, "mentions": seen[key]},
                m.start,
                m.end,
                site=m.key,
            )
        else:
            add("source", {"name": m.key, "alias": m.text, "mentions": seen[key]}, m.start, m.end)

    previous_railcars = False
    for s, e in _sentences(text):
        sent_dates = _dates(text, lang, s, e, base, precision)
        sent_numbers = [  # "the 5 in 5 October" and "24.01.2024" are parts of a date
            n
            for n in numbers
            if s <= n.start
            and n.end <= e
            and not any(d.start <= n.start < d.end for d in sent_dates)
        ]
        # Windows looking back: "au cours des cinq dernières années", "in the past five years".
        windows: list[tuple[Number, int, int]] = []
        for n in sent_numbers:
            after = lexicon.YEARS_AFTER.get(lang)
            m = rx(after).match(text, n.end, e) if after else None
            if not m or not 1 <= n.value <= 50:
                continue
            look = words(lexicon.LOOKBACK, lang)
            near = look is not None and (
                look.search(text, max(s, n.start - 30), n.start)
                or look.search(text, n.end, min(e, m.end() + 16))
            )
            if near:
                ws = near.start() if near.start() < n.start else n.start
                windows.append((n, ws, m.end()))

        # Counts and maxima: each number its railcars, its role, its clause and its site.
        sent_counts = counts.find(
            text, lang, s, e, sent_numbers, windows, after_railcars=previous_railcars
        )
        nouns = counts.noun_pattern(lang)
        previous_railcars = bool(nouns and nouns.search(text, s, e))
        used_windows: set[tuple[int, int]] = set()
        for c in sent_counts:
            site_m = counts.site_of(c, sent_counts, mentions, s, e)
            site = site_m.key if site_m else None
            common = {
                "noun": c.noun,
                "qualifier": c.qualifier,
                "qualifier_text": c.qualifier_text,
                "role": c.role,
                "role_cue": c.cue,
            }
            a, b = c.start, c.end
            if c.window_span:
                used_windows.add(c.window_span)
                a, b = min(a, c.window_span[0]), max(b, c.window_span[1])
            if c.role in {"prior_max", "baseline"}:
                value = {
                    "max": c.value if c.role == "prior_max" else None,
                    "level": c.value if c.role == "baseline" else None,
                    "window_years": c.window_years,
                    "relation": "max" if c.role == "prior_max" else "prior_level",
                    **common,
                }
                add("baseline", value, a, b, site=site or single_site)
                continue
            value = {
                "count": c.value,
                "railcar_class": c.railcar_class,
                "number_text": c.number.text,
                **({"range": [c.low, c.value]} if c.low is not None else {}),
                **common,
                "site_basis": "sentence" if site_m else ("report" if single_site else None),
            }
            add("count", value, c.start, c.end, site=site or single_site)
            pending.append((len(claims) - 1, c.clause, (s, e)))
        windows = [w for w in windows if (w[1], w[2]) not in used_windows]
        for w in windows:
            comp = _find(words(lexicon.COMPARATIVE, lang), text, s, e)
            if comp:
                c = min(comp, key=lambda m: abs(m.start() - w[1]))
                value = {
                    "max": None,
                    "window_years": w[0].value,
                    "relation": "exceeds",
                    "qualifier": "",
                    "qualifier_text": c[0],
                    "noun": "",
                }
                add("baseline", value, min(c.start(), w[1]), max(c.end(), w[2]), site=primary_site)

        # Dates, by role.
        imagery = _find(words(lexicon.IMAGERY, lang), text, s, e)
        speech = _find(words(lexicon.SPEECH, lang), text, s, e)
        saying = [m for m in speech if not _is_attribution(m[0], lang)]  # "said", not "según"
        summit = _find(words(lexicon.SUMMIT, lang), text, s, e)
        trips = _find(words(lexicon.TRIP, lang), text, s, e)
        leaders = _find(rx(rf"(?<![\w])(?:{lexicon.LEADERS})"), text, s, e)
        observed = words(lexicon.OBSERVED, lang)
        has_source = any(
            m.kind in {"source", "think_tank"} and s <= m.start < e for m in mentions
        ) or bool(rx(r"rapport|report|verslag|Bericht|доклад|보고서").search(text, s, e))
        for d in sent_dates:
            value = {
                "date": d.value.isoformat() if d.value else None,
                "until": d.until.isoformat() if d.until else None,
                "precision": d.precision,
                "resolved": d.value is not None,
                "relative": d.relative,
                "expression": d.text,
            }
            if d.relative:
                value["resolution"] = _resolution(d, base, precision)
            role = _date_role(text, lang, d, s, e)
            if role is None:
                d_img = _distance(imagery, d.start, d.end)
                d_say = _distance(saying, d.start, d.end) if has_source else 10**9
                if d_say <= 40 and d_say < d_img:
                    role = "report"
                elif imagery and _nearest_date_to_a_cue(d, sent_dates, imagery):
                    role = "imagery"
                elif summit or (trips and leaders):
                    role = "event"
                elif _find(observed, text, s, e) and any(c[2] == (s, e) for c in pending):
                    role = "imagery"
            if role == "report" and d.precision == "day":
                add("report_date", value, d.start, d.end)
            elif role == "imagery" and d.precision == "day":
                add("imagery_date", value, d.start, d.end, site=single_site)
            elif role == "event" and (summit or trips or leaders):
                add("event", dict(value, event="summit", attribute="when"), d.start, d.end)
            elif d.precision == "week" and rx(_TRAFFIC).search(text, s, e):
                add("activity_period", value, d.start, d.end, site=single_site)
            else:
                dated.append((Claim("event", value, d.text, d.start, d.end), "other"))
                continue
            dated.append((claims[-1], role or "other"))

        # Unprecedented.
        for m in _find(words(lexicon.UNPRECEDENTED, lang), text, s, e):
            add(
                "characterization",
                {"unprecedented": True, "expression": m[0]},
                m.start(),
                m.end(),
                site=primary_site,
            )

        # Attribution: a speech verb near a named source or "the think tank".
        for v in speech:
            src = _nearest(mentions, v.start(), {"source", "think_tank"}, s, e)
            if src is None or abs(src.start - v.start()) > 120:
                continue
            name = src.key if src.kind == "source" else (think_tank or "think tank (unnamed)")
            a, b = min(v.start(), src.start), max(v.end(), src.end)
            add("attribution", {"source": name, "verb": v[0], "mention": src.text}, a, b)

        # Assessments: the hedge decides the estimative level.
        arms = rx(rf"(?<![\w])(?:{lexicon.ARMS})(?![\w])").search(text, s, e)
        shipment = rx(rf"(?<![\w])(?:{lexicon.SHIPMENT})(?![\w])").search(text, s, e)
        impact = rx(rf"(?<![\w])(?:{lexicon.IMPACT})(?![\w])").search(text, s, e)
        for level, table in lexicon.HEDGE_LEVELS:
            h = next(iter(_find(words(table, lang, gap=True), text, s, e)), None)
            if h is None:
                continue
            if level == "possible" and not (arms or shipment):
                break  # "could" is everywhere; only count it about the cargo
            topic = "impact" if impact else "arms_transfer" if (arms or shipment) else "other"
            src = _nearest(mentions, h.start(), {"source", "think_tank"}, s, e)
            who = None
            if src is not None:
                who = src.key if src.kind == "source" else think_tank
            add(
                "assessment",
                {"level": level, "hedge_text": h[0], "topic": topic, "attributed_to": who},
                s,
                e,
                hedge=level,
            )
            break

        # Caveats: uncertainty and concealment (tarps) limit what imagery shows.
        unsure = _find(words(lexicon.UNCERTAIN, lang, gap=True), text, s, e)
        hidden = _find(words(lexicon.CONCEALMENT, lang, gap=True), text, s, e)
        nouns = counts.noun_pattern(lang)
        railcar_words = list(nouns.finditer(text, s, e)) if nouns else []
        hidden = [  # "covered wagons" name a class of railcar, not a cover
            h for h in hidden if not any(w.start() <= h.start() < w.end() for w in railcar_words)
        ]
        if hidden and not (rx(_TRAFFIC).search(text, s, e) or unsure):
            hidden = []  # "covers" alone is too common a word
        if unsure or hidden:
            spans = unsure + hidden
            a, b = min(m.start() for m in spans), max(m.end() for m in spans)
            add(
                "caveat",
                {
                    "reason": "concealment" if hidden else "uncertain",
                    "uncertain": bool(unsure),
                    "concealment": bool(hidden),
                    "words": [m[0] for m in spans],
                },
                a,
                b,
                hedge="caveat",
                site=primary_site,
            )

        # Summit duration ("sommet d'une semaine", "six-day trip") or a delay measured
        # from it ("starting five days after the summit"): the words after decide.
        if summit or trips or leaders:
            anchors = summit + trips
            for dm in _durations(text, lang, s, e):
                if _ago(text, lang, dm, s, e):
                    continue  # "a week ago": when, not how long
                lag = _lag(text, lang, dm, e)
                near = _distance(anchors, dm[1], dm[2])
                if lag is not None:
                    add(
                        "event",
                        {
                            "event": "summit",
                            "attribute": "lag_days",
                            "days": dm[0],
                            "direction": lag[1],
                            "expression": text[dm[1] : lag[0]],
                        },
                        dm[1],
                        lag[0],
                    )
                    continue
                if near > 40 or not (summit or leaders):
                    continue
                anchor = min(anchors, key=lambda m: max(m.start() - dm[2], dm[1] - m.end(), 0))
                a, b = min(anchor.start(), dm[1]), max(anchor.end(), dm[2])
                add(
                    "event",
                    {
                        "event": "summit",
                        "attribute": "duration_days",
                        "days": dm[0],
                        "expression": text[dm[1] : dm[2]],
                    },
                    a,
                    b,
                )
    _place(claims, pending, dated, text)
    claims.sort(key=lambda c: (c.start, c.end))
    return claims


def _durations(text: str, lang: str, s: int, e: int) -> list[tuple[int, int, int]]:
    """(days, start, end) of durations in a sentence."""
    out = []
    week = words(lexicon.WEEK_WORDS, lang)
    for m in _find(week, text, s, e):
        out.append((7, m.start(), m.end()))
    if lang == "ko":
        for word, days in lexicon.KO_DAY_WORDS.items():
            for m in re.finditer(word, text[s:e]):
                out.append((days, s + m.start(), s + m.end()))
    unit = lexicon.DAY_UNITS.get(lang)
    if unit:
        for m in rx(rf"(?<![\w])(\d{{1,2}}|[^\W\d_]+?)(?:{unit})").finditer(text, s, e):
            token = m[1]
            value = int(token) if token.isdigit() else word_value(token, lang)
            if value and 1 <= value <= 60:
                out.append((value, m.start(), m.end()))
    return out


def _ago(text: str, lang: str, dm: tuple[int, int, int], s: int, e: int) -> bool:
    before, after = lexicon.AGO_BEFORE.get(lang), lexicon.AGO_AFTER.get(lang)
    if before and rx(rf"(?<![\w])(?:{before})\s*$").search(text, max(s, dm[1] - 12), dm[1]):
        return True
    return bool(after and rx(rf"\s*(?:{after})(?![\w])").match(text, dm[2], e))


def _lag(text: str, lang: str, dm: tuple[int, int, int], e: int) -> tuple[int, str] | None:
    """(end of the phrase, "after"/"before") when a duration is a delay from an event."""
    after = lexicon.LAG_AFTER.get(lang)
    if not after:
        return None
    if lang == "ko":  # particles follow without a space: "닷새 뒤부터"
        m = rx(rf"\s*(?:지\s*)?({after})").match(text, dm[2], e)
    else:
        m = rx(rf"[\s,]*({after})(?![\w])").match(text, dm[2], e)
    if m is None:
        return None
    word = m[1].lower()
    before_words = {"before", "earlier", "prior to", "avant", "plus tôt", "auparavant", "voor"}
    before_words |= {"eerder", "vor", "früher", "до", "раньше", "전", "antes"}
    return m.end(), "before" if word in before_words else "after"


def _is_attribution(word: str, lang: str) -> bool:
    """Whether a speech cue only names who says it ("according to", "según", "laut")."""
    pattern = lexicon.ATTRIBUTION.get(lang)
    return bool(pattern and rx(rf"(?:{pattern})").fullmatch(word.strip()))


def _nearest_date_to_a_cue(d: _Date, dates: list[_Date], cues: list[re.Match]) -> bool:
    """Whether ``d`` is the date nearest to one of the imagery ``cues`` of its sentence.

    An imagery word governs the date of its sentence whether it stands before it
    ("images from Tuesday") or at the far end ("…on Tuesday, according to images taken
    that day"); with two dates each cue goes to the nearer one, so a visit's date next
    to the imagery's keeps its own role.
    """
    for cue in cues:
        nearest = min(dates, key=lambda x: max(x.start - cue.end(), cue.start() - x.end, 0))
        if nearest is d:
            return True
    return False


def _date_role(text: str, lang: str, d: _Date, s: int, e: int) -> str | None:
    """What a date is the date of, from the nearest cue word in its own clause.

    "captured on 5 October", "the visit on 6 October", "said on Friday": the words right
    before a date (in Korean also right after it, "10월 5일 촬영된") name its event, so a
    sentence with two dates gives each its own. None when no cue stands close by.
    """
    cs, ce = next(((a, b) for a, b in counts.clauses(text, s, e) if a <= d.start < b), (s, e))
    best: tuple[int, str] | None = None
    for role, table in lexicon.DATE_CUES.items():
        pattern = words(table, lang)
        if pattern is None:
            continue
        for m in pattern.finditer(text, max(cs, d.start - 40), d.start):
            if role == "report" and _is_attribution(m[0], lang):
                continue  # "según Maxar, el martes": Tuesday is not when Maxar spoke
            gap = d.start - m.end()
            if rx(r"[,.;]\s").search(text, m.end(), d.start) and role != "report":
                continue  # a cue across a comma speaks of another phrase
            if best is None or gap < best[0]:
                best = (gap, role)
        right = 30 if lang == "ko" else 16
        for m in pattern.finditer(text, d.end, min(ce, d.end + right)):
            if role == "report" and _is_attribution(m[0], lang):
                continue
            # A cue before the date is read first, except in Korean, where the verb
            # that governs a date follows it ("어제 찍힌": taken yesterday).
            gap = m.start() - d.end + (-5 if lang == "ko" else 5)
            if rx(r"[,.;]").search(text, d.end, m.start()):
                continue
            if best is None or gap < best[0]:
                best = (gap, role)
    return best[1] if best else None


def _resolution(d: _Date, base: date | None, precision: str) -> str:
    """How a relative date was resolved, in words, so a reader can check it."""
    if base is None:
        return f"{d.text!r}: unresolved, the publication date is unknown"
    if d.value is None:
        return f"{d.text!r}: unresolved, the publication date is known only to the {precision}"
    span = f"{d.value.isoformat()}..{d.until.isoformat()}" if d.until else d.value.isoformat()
    return f"{d.text!r} → {span}, counted back from publication on {base.isoformat()}"


def _place(
    claims: list[Claim],
    pending: list[tuple[int, tuple[int, int], tuple[int, int]]],
    dated: list[tuple[Claim, str]],
    text: str,
) -> None:
    """Give each count the date of its own clause, or the report's one imagery date.

    A count is ``placed`` (it may become an observation) only with a current or
    breakdown role, a site and a resolved day. A clause that names a date of another
    kind ("in 2019", "on the day of the visit") keeps its count undated rather than
    borrowing the report's imagery date.
    """
    imagery = [(c, r) for c, r in dated if r == "imagery"]
    days = {c.value["date"] for c, _ in imagery if c.value.get("resolved")}
    report_day = next(iter(days)) if len(days) == 1 else None
    for idx, clause, sentence in pending:
        c = claims[idx]
        v = dict(c.value)
        date_value, basis = None, None
        own = [x for x, _ in imagery if clause[0] <= x.start < clause[1]]
        own = own or [x for x, _ in imagery if sentence[0] <= x.start < sentence[1]]
        other = [x for x, r in dated if r != "imagery" and clause[0] <= x.start < clause[1]] or [
            m for m in counts.YEAR.finditer(text, clause[0], clause[1])
        ]
        if own:
            near = min(own, key=lambda x: abs(x.start - c.start))
            date_value, basis = near.value.get("date"), "clause"
        elif not other and report_day:
            date_value, basis = report_day, "report"
        v["date"], v["date_basis"] = date_value, basis
        if v.get("range"):
            v["placement"] = "a range"
        elif v["role"] not in {"current", "breakdown"}:
            v["placement"] = "role unclear" if v["role"] == "unclear" else "not a count"
        elif c.site is None:
            v["placement"] = "site unclear"
        elif date_value is None:
            v["placement"] = "not dated"
        else:
            v["placement"] = "placed"
        claims[idx] = replace(c, value=v)


def place(claim: Claim, site: str) -> Claim:
    """The count with ``site`` given from outside (``--site``), placed if it now can be."""
    v = dict(claim.value)
    if v.get("placement") == "site unclear":
        v["placement"] = "placed" if v.get("date") else "not dated"
    return replace(claim, site=site, value=v)
