"""Places and sources named in a report, found by a gazetteer rather than a model.

Pretrained NER tags "Rason" as a person and is not available offline anyway;
the site catalogue already knows every spelling (aliases in several scripts),
so a blank spaCy pipeline with an EntityRuler built from the store's sites finds
them exactly. Korean is written without spaces between a name and its particle
(두만강역에서), so Hangul and CJK aliases are also matched as substrings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from railwatch.records import Site

#: Sources railwatch recognizes by name, with their spellings in several languages.
SOURCES: dict[str, tuple[str, ...]] = {
    "Beyond Parallel": ("Beyond Parallel", "Beyond Parallel project", "projet Beyond Parallel"),
    "CSIS": (
        "CSIS",
        "Center for Strategic and International Studies",
        "Centre for Strategic and International Studies",
        "Centre d'études stratégiques et internationales",
        "Centre d’études stratégiques et internationales",
        "Center d'études stratégiques et internationales",
        "Centrum voor Strategische en Internationale Studies",
        "Zentrum für strategische und internationale Studien",
        "Центр стратегических и международных исследований",
        "전략국제문제연구소",
    ),
    "38 North": ("38 North",),
    "NK Pro": ("NK Pro", "NK News"),
    "Planet Labs": ("Planet Labs",),
    "Maxar": ("Maxar", "Maxar Technologies"),
}
#: Anonymous think-tank mentions ("the think tank said"); resolved to the named one.
THINK_TANK: tuple[str, ...] = (
    "groupe de réflexion",
    "think tank",
    "think-tank",
    "denktank",
    "Denkfabrik",
    "аналитический центр",
    "싱크탱크",
)

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_CYRILLIC_WORD = re.compile(r"^[\u0400-\u04ff]+$")


@dataclass(frozen=True)
class Mention:
    kind: str  # site | region | source | think_tank
    key: str  # site slug, or canonical source name
    start: int
    end: int
    text: str


def _spacy_lang(lang: str) -> str:
    # The multi-language tokenizer is enough for matching names, loads in a fraction of a
    # second where spaCy's French one takes several, and needs no MeCab for Korean.
    return "xx"


def _patterns(sites: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> list[dict]:
    pats: list[dict[str, Any]] = []

    def add(label: str, key: str, alias: str) -> None:
        if _CJK.search(alias):
            return  # matched as substrings, see find()
        pats.append({"label": label, "pattern": alias, "id": key})
        if _CYRILLIC_WORD.match(alias) and len(alias) >= 4:
            # Russian declines names (Тумангане, Хасаном): match the stem as a prefix.
            pats.append(
                {"label": label, "id": key, "pattern": [{"LOWER": {"REGEX": f"^{alias.lower()}"}}]}
            )

    for slug, aliases, region_aliases in sites:
        for alias in aliases:
            add("SITE", slug, alias)
        for alias in region_aliases:
            add("REGION", slug, alias)
    for name, spellings in SOURCES.items():
        for alias in spellings:
            add("SOURCE", name, alias)
    for alias in THINK_TANK:
        add("THINK_TANK", "think tank", alias)
    return pats


#: thinc's optional back-ends, which ``import spacy`` tries and railwatch's pipelines
#: never use (a blank tokenizer and an entity ruler): torch alone costs ~3 s at start-up.
_UNUSED_BACKENDS = ("torch", "cupy", "tensorflow", "mxnet")


def _import_spacy() -> Any:
    """spaCy, imported without pulling in torch when torch is not loaded yet.

    thinc (spaCy's ML layer) imports torch and cupy at import time if they are
    installed, only to offer them as back-ends; torch is installed here for the
    detector, so the first report used to wait ~3 s for it. Marking the modules
    missing while spaCy imports makes thinc record "no torch" and go on; the marks
    are removed at once, so the detector still imports torch normally later. When
    torch is already loaded nothing is marked and spaCy sees it as usual.
    """
    import sys

    if "spacy" in sys.modules:
        return sys.modules["spacy"]
    blocked = [m for m in _UNUSED_BACKENDS if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        import spacy
    finally:
        for m in blocked:
            if sys.modules.get(m, 0) is None:
                del sys.modules[m]
    return spacy


@lru_cache(maxsize=32)
def _pipeline(lang: str, sites: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]) -> Any:
    spacy = _import_spacy()

    nlp = spacy.blank(_spacy_lang(lang))
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(_patterns(sites))
    return nlp


def _site_key(sites: Sequence[Site]) -> tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]:
    return tuple(
        (s.slug, tuple(dict.fromkeys((s.name, s.slug, *s.aliases))), tuple(s.region_aliases))
        for s in sorted(sites, key=lambda s: s.slug)
    )


def load(lang: str, sites: Sequence[Site]) -> None:
    """Build the pipeline for a language now (spaCy's import takes a few seconds)."""
    _pipeline(_spacy_lang(lang), _site_key(sites))


_KINDS = {"SITE": "site", "REGION": "region", "SOURCE": "source", "THINK_TANK": "think_tank"}


def find(text: str, lang: str, sites: Sequence[Site]) -> list[Mention]:
    """Mentions of sites, their regions and known sources, in text order."""
    key = _site_key(sites)
    doc = _pipeline(_spacy_lang(lang), key)(text)
    found = [
        Mention(_KINDS[e.label_], e.ent_id_, e.start_char, e.end_char, e.text)
        for e in doc.ents
        if e.label_ in _KINDS
    ]
    taken = [(m.start, m.end) for m in found]
    for slug, aliases, region_aliases in key:
        for kind, names in (("site", aliases), ("region", region_aliases)):
            for alias in names:
                if not _CJK.search(alias):
                    continue
                for m in re.finditer(re.escape(alias), text):
                    if any(s < m.end() and m.start() < e for s, e in taken):
                        continue
                    found.append(Mention(kind, slug, m.start(), m.end(), m[0]))
                    taken.append((m.start(), m.end()))
    taken = [(m.start, m.end) for m in found]
    for name, spellings in SOURCES.items():
        for alias in spellings:
            if _CJK.search(alias):
                pattern = re.escape(alias)
            elif lang == "ko":
                # "Beyond Parallel은": a Latin name with a Korean particle glued to it,
                # which the tokenizer keeps as one token.
                pattern = rf"(?<![A-Za-z0-9]){re.escape(alias)}(?![A-Za-z])"
            else:
                continue
            for m in re.finditer(pattern, text):
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                found.append(Mention("source", name, m.start(), m.end(), m[0]))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda m: m.start)
