"""Entry points of the press stage: ingest reports, list and show them, compare sources."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from railwatch import plausible
from railwatch.errors import InputError, PressError
from railwatch.press import grouping, language, text
from railwatch.press.claims import extract_claims, place
from railwatch.press.comparison import compare_group
from railwatch.press.records import Claim, Comparison, Document, Ingested
from railwatch.records import Observation, Site
from railwatch.store import Store
from railwatch.store import observations as observation_rows
from railwatch.store import press as press_rows
from railwatch.store import sites as site_rows

# Which count to keep when a report gives several for one site and class.
_PRECISION_RANK = {"exact": 0, "approx": 1, "at_least": 2, "at_most": 3}
_WHY = {
    "not dated": "not dated (no imagery date in their clause, nor one for the whole report)",
    "role unclear": "role unclear (a plan or a possibility, not what was seen)",
    "site unclear": "site unclear (the report names several sites)",
}
# Claims about "the" site that may fall back to the report's main or given site.
_SITED_KINDS = {
    "count",
    "baseline",
    "imagery_date",
    "activity_period",
    "caveat",
    "characterization",
}


def parse_published(value: str | date | datetime | None) -> tuple[datetime | None, str]:
    """A publication date typed as ``2023-10-06`` (day) or ``2023-10`` (month).

    Raises:
        InputError: neither form.
    """
    if value is None:
        return None, ""
    if isinstance(value, datetime):
        # The calendar date where it was published: converting 01:00 in Seoul to UTC
        # would date a Friday report on Thursday and move every "yesterday" in it.
        return datetime(value.year, value.month, value.day, tzinfo=UTC), "day"
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC), "day"
    raw = value.strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", raw)
    try:
        if m:
            when = datetime(int(m[1]), int(m[2]), int(m[3] or 1), tzinfo=UTC)
            return plausible.check_time(when, "--published"), "day" if m[3] else "month"
    except ValueError:
        pass
    raise InputError(f"--published {value!r} is not a date (2023-10-06) or a month (2023-10)")


@dataclass(frozen=True)
class _Prepared:
    path: Path
    sha256: str
    raw_text: str
    cleaned: text.Cleaned
    document: Document
    claims: list[Claim]  # offsets into raw_text
    summary: str


def _read(path: Path) -> bytes:
    if not path.exists():
        raise PressError(f"{path}: no such file")
    if not path.is_file():
        raise PressError(f"{path}: not a file")
    size = path.stat().st_size
    if size > text.MAX_BYTES:
        raise PressError(
            f"{path}: {size / 1e6:.1f} MB is larger than the "
            f"{text.MAX_BYTES // (1024 * 1024)} MB limit for a report"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PressError(f"{path}: cannot read: {exc.strerror}") from None


def prepare(
    path: Path,
    sites: Sequence[Site],
    *,
    published: str | date | datetime | None = None,
    outlet: str | None = None,
    url: str | None = None,
    lang: str | None = None,
    site: str | None = None,
) -> _Prepared:
    """Read, clean, identify and extract one report, touching no store.

    Raises:
        PressError: the file is missing, empty, binary, too large or has no text.
    """
    data = _read(path)
    sha = hashlib.sha256(data).hexdigest()
    decoded, warnings = text.decode(data, str(path))
    meta: dict[str, Any] = {"format": "text", "file_name": path.name}
    title = ""
    html_meta: dict[str, str] = {}
    if text.looks_like_html(decoded, path):
        decoded, html_meta = text.html_to_text(decoded)
        meta["format"] = "html"
        title = html_meta.get("title", "")
        if not decoded.strip():
            raise PressError(f"{path}: HTML page with no article text")
    cleaned = text.clean(decoded)
    if not cleaned.text.strip():
        raise PressError(f"{path}: nothing left after removing boilerplate")
    pub_at, precision = parse_published(published)
    if pub_at is None and cleaned.published_at is not None:
        pub_at, precision = cleaned.published_at, cleaned.published_precision
    if pub_at is None and html_meta.get("date"):
        try:
            pub_at, precision = parse_published(html_meta["date"][:10])
        except InputError:
            warnings.append(f"page date {html_meta['date']!r} not understood")
    if pub_at is None:
        warnings.append("publication date unknown: relative dates stay unresolved")
    status = "ok"
    if lang:
        code, confidence = lang.strip().lower(), 1.0
    else:
        code, confidence = language.identify(cleaned.text)
    if code == "und":
        status = "partial"
        warnings.append("language not identified: only digits, places and sources extracted")
    elif code not in language.LANGUAGES:
        status = "partial"
        warnings.append(f"no claim rules for language {code!r}: only digits, places and sources")
    clean_claims = extract_claims(
        cleaned.text, code, pub_at, sites, published_precision=precision or None
    )
    if site is not None:
        clean_claims = [
            (place(c, site) if c.kind == "count" else replace(c, site=site))
            if c.site is None and c.kind in _SITED_KINDS
            else c
            for c in clean_claims
        ]
    claims = []
    for c in clean_claims:
        start, end = cleaned.to_original(c.start, c.end)
        claims.append(replace(c, start=start, end=end))
        assert decoded[start:end] == c.quote, (start, end, c.quote)
    if not any(c.kind in {"count", "baseline", "imagery_date", "place"} for c in claims):
        warnings.append("no count, date or place found")
    doc_sites = list(dict.fromkeys(c.site for c in claims if c.kind == "place" and c.site))
    if site is not None and site not in doc_sites:
        doc_sites.insert(0, site)
    meta.update(
        {
            "language_confidence": round(confidence, 4),
            "dropped": [list(d) for d in cleaned.dropped],
        }
    )
    if pub_at is not None and cleaned.published_at is not None and published is None:
        meta["published_from"] = "metadata line"
    if html_meta:
        meta["html"] = html_meta
    document = Document(
        sha256=sha,
        path=str(path),
        outlet=outlet or html_meta.get("sitename", ""),
        url=url or html_meta.get("url", ""),
        title=title,
        published_at=pub_at,
        published_precision=precision,
        language=code,
        status=status,
        warnings=tuple(warnings),
        sites=tuple(doc_sites),
        meta=meta,
    )
    return _Prepared(
        path=path,
        sha256=sha,
        raw_text=decoded,
        cleaned=cleaned,
        document=document,
        claims=claims,
        summary=grouping.summary(cleaned.text, clean_claims),
    )


def placed_counts(claims: Sequence[Claim]) -> list[Claim]:
    """The counts that become observations: one per site, class and day, the most precise.

    Only a count whose role (current or per-class), site and day are all established
    is placed; "about 73" gives way to "73" for the same site, class and day.
    """
    best: dict[tuple[str, str, str], Claim] = {}
    for c in claims:
        if c.kind != "count" or c.value.get("placement") != "placed" or not c.site:
            continue
        key = (c.site, c.value.get("railcar_class", "total"), c.value["date"])
        old = best.get(key)
        rank = _PRECISION_RANK.get(c.value.get("qualifier", "exact"), 9)
        if old is None or rank < _PRECISION_RANK.get(old.value.get("qualifier", "exact"), 9):
            best[key] = c
    return list(best.values())


def _observations(doc: Document, claims: Sequence[Claim]) -> tuple[list[Observation], list[str]]:
    """Press observations from the placed counts of a stored document, and why others are not.

    Only a count whose role (current or per-class), site and day are all established
    becomes an observation: a wrong observation moves the analysis, a missing one does not.
    """
    counts = [c for c in claims if c.kind == "count"]
    notes = []
    held = Counter(
        c.value.get("placement", "not placed")
        for c in counts
        if c.value.get("placement") not in {"placed", "not a count"}
    )
    if held:
        listed = ", ".join(f"{n} {_WHY.get(why, why)}" for why, n in sorted(held.items()))
        notes.append(f"no observation from {sum(held.values())} count(s): {listed}")
    out = []
    for c in placed_counts(claims):
        day = date.fromisoformat(c.value["date"])
        when = datetime(day.year, day.month, day.day, tzinfo=UTC)
        try:  # a number no yard holds, or a date no image has, is a misreading
            plausible.check_time(when, "imagery date")
            plausible.check_count(c.value.get("count"), f"count {c.quote!r}")
        except InputError as exc:
            notes.append(f"no observation from {exc}")
            continue
        out.append(
            Observation(
                site=c.site or "",
                observed_at=when,
                railcar_class=c.value.get("railcar_class", "total"),
                count=int(c.value["count"]),
                method="press",
                source=doc.outlet or Path(doc.path).name,
                document_id=doc.id,
                claim_id=c.id,
                note=f"{c.value.get('qualifier', 'exact')}: {c.quote}",
            )
        )
    return out, notes


def ingest(
    store: Store,
    paths: Sequence[str | Path],
    *,
    published: str | date | datetime | None = None,
    outlet: str | None = None,
    url: str | None = None,
    lang: str | None = None,
    site: str | None = None,
) -> list[Ingested]:
    """Read reports, store them with their claims and press observations, regroup events.

    Every file is read and checked before anything is written, and all of it is
    written in one transaction: one bad file leaves the store as it was.

    Args:
        store: the open store.
        paths: text or HTML report files.
        published: publication date (``2023-10-06``) or month (``2023-10``), for all files.
        outlet: who published them (``Reuters``), for all files.
        url: where they were published.
        lang: language code, overriding identification.
        site: site slug the reports are about, used when the text names none.

    Returns:
        One :class:`Ingested` per path, in order; ``new`` is false for a file
        already in the store (same sha256).

    Raises:
        PressError: a file cannot be read or holds no report (named in the message).
        NotFoundError: ``site`` is not in the store.
    """
    if not paths:
        raise InputError("no report files given")
    with store.transaction() as session:
        sites = site_rows.all_sites(session)
        if site is not None:
            site_rows.row_for(session, site)
    prepared = [
        prepare(Path(p), sites, published=published, outlet=outlet, url=url, lang=lang, site=site)
        for p in paths
    ]
    fresh = {}
    for p in prepared:
        fresh.setdefault(p.sha256, p)
    vectors = grouping.embed([p.summary for p in fresh.values()])
    results: list[Ingested] = []
    with store.transaction() as session:
        stored: dict[str, Ingested] = {}
        for p in prepared:
            if p.sha256 in stored:
                first = stored[p.sha256]
                results.append(Ingested(first.document, False, (), ("same file given twice",)))
                continue
            old = press_rows.find_by_sha(session, p.sha256)
            if old is not None:
                results.append(
                    Ingested(old, False, (), (f"already stored as document {old.id}; not added",))
                )
                continue
            vec = vectors[list(fresh).index(p.sha256)]
            doc, claims = press_rows.add(
                session,
                p.document,
                raw_text=p.raw_text,
                clean_text=p.cleaned.text,
                offset_map=[list(s) for s in p.cleaned.segments],
                embedding=[round(float(x), 5) for x in vec],
                claims=p.claims,
            )
            obs, notes = _observations(doc, claims)
            added = tuple(observation_rows.add(session, obs)) if obs else ()
            item = Ingested(replace(doc, claims=claims), True, added, tuple(notes))
            stored[p.sha256] = item
            results.append(item)
        if stored:
            _regroup(session)
        out = []
        for r in results:
            doc = press_rows.get(session, r.document.id, texts=False)
            out.append(replace(r, document=doc))
    return out


def _regroup(session: Any) -> None:
    import numpy as np

    docs = press_rows.list_documents(session, with_claims=True)
    vectors = {
        k: np.asarray(v, dtype=np.float32) for k, v in press_rows.embeddings(session).items()
    }
    keys = grouping.group([grouping.facts(d, d.claims) for d in docs], vectors)
    press_rows.set_group_keys(session, keys)


def list_documents(store: Store, *, site: str | None = None) -> list[Document]:
    """Stored reports (without their texts), oldest first; ``site`` keeps those naming it."""
    with store.transaction() as session:
        return press_rows.list_documents(session, site=site, with_claims=True)


def get_document(store: Store, document_id: int) -> Document:
    """One report with its original and clean texts and its claims.

    Raises:
        NotFoundError: no such document.
    """
    with store.transaction() as session:
        return press_rows.get(session, document_id)


def compare(store: Store, site: str | None = None) -> Comparison:
    """Per event group, what each report says for each slot, and whether they agree.

    Raises:
        NotFoundError: ``site`` is not in the store.
    """
    with store.transaction() as session:
        docs = press_rows.list_documents(session, site=site, with_claims=True)
    groups: dict[str, list[Document]] = {}
    for d in docs:
        groups.setdefault(d.group_key or f"doc{d.id}", []).append(d)
    return Comparison(
        groups=tuple(compare_group(k, ds) for k, ds in groups.items()),
        site=site,
    )


def sample_reports() -> list[dict[str, Any]]:
    """The packaged sample reports (for the demo): path, outlet, published, lang."""
    import json

    folder = Path(__file__).with_name("samples")
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    return [dict(entry, path=str(folder / entry["file"])) for entry in index["reports"]]
