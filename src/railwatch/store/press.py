"""Press documents and their claims.

A document keeps its original text (offsets of claims index it), its clean
text and the map between the two, so any claim can be shown in context.
Extra fields without a column (encoding notes, dropped lines, the embedding
used for grouping) live in ``documents.meta``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from railwatch.errors import NotFoundError
from railwatch.plausible import MAX_ID
from railwatch.press.records import Claim, Document
from railwatch.store import sites
from railwatch.store.schema import ClaimRow, DocumentRow, SiteRow


def _document(row: DocumentRow, *, texts: bool = False, claims: tuple[Claim, ...] = ()) -> Document:
    meta = dict(row.meta or {})
    return Document(
        id=row.id,
        sha256=row.sha256,
        path=row.path,
        outlet=row.outlet,
        url=row.url,
        title=row.title,
        published_at=row.published_at,
        published_precision=row.published_precision,
        language=row.language,
        status=row.status,
        warnings=tuple(row.warnings or ()),
        group_key=row.group_key,
        sites=tuple(meta.get("sites", ())),
        meta={k: v for k, v in meta.items() if k not in {"embedding", "sites"}},
        added_at=row.added_at,
        raw_text=row.raw_text if texts else None,
        clean_text=row.clean_text if texts else None,
        claims=claims,
    )


def _claim(row: ClaimRow, slug: str | None) -> Claim:
    return Claim(
        id=row.id,
        document_id=row.document_id,
        kind=row.kind,
        value=dict(row.value or {}),
        quote=row.quote,
        start=row.start,
        end=row.end,
        hedge=row.hedge,
        site=slug,
    )


def find_by_sha(session: Session, sha256: str) -> Document | None:
    row = session.scalar(select(DocumentRow).where(DocumentRow.sha256 == sha256))
    return None if row is None else _document(row)


def add(
    session: Session,
    document: Document,
    *,
    raw_text: str,
    clean_text: str,
    offset_map: list[list[int]],
    embedding: list[float] | None,
    claims: list[Claim],
) -> tuple[Document, tuple[Claim, ...]]:
    """Store a document and its claims (offsets into ``raw_text``); return them with ids."""
    meta = dict(document.meta)
    meta["sites"] = list(document.sites)
    if embedding is not None:
        meta["embedding"] = embedding
    row = DocumentRow(
        sha256=document.sha256,
        path=document.path,
        outlet=document.outlet,
        url=document.url,
        title=document.title,
        published_at=document.published_at,
        published_precision=document.published_precision,
        language=document.language,
        raw_text=raw_text,
        clean_text=clean_text,
        offset_map=offset_map,
        status=document.status,
        warnings=list(document.warnings),
        group_key=document.group_key,
        meta=meta,
    )
    session.add(row)
    session.flush()
    site_ids: dict[str, int] = {}
    stored = []
    for claim in claims:
        site_id = None
        if claim.site:
            if claim.site not in site_ids:
                site_ids[claim.site] = sites.row_for(session, claim.site).id
            site_id = site_ids[claim.site]
        crow = ClaimRow(
            document_id=row.id,
            kind=claim.kind,
            value=claim.value,
            quote=claim.quote,
            start=claim.start,
            end=claim.end,
            site_id=site_id,
            hedge=claim.hedge,
        )
        session.add(crow)
        session.flush()
        stored.append(_claim(crow, claim.site))
    return _document(row), tuple(stored)


def _doc_row(session: Session, document_id: int) -> DocumentRow:
    # An id past 64 bits names no row (and SQLite cannot even bind it).
    row = session.get(DocumentRow, document_id) if 1 <= document_id <= MAX_ID else None
    if row is None:
        raise NotFoundError(f"no press document with id {document_id} (see 'railwatch press list')")
    return row


def claims_of(session: Session, document_ids: list[int]) -> dict[int, tuple[Claim, ...]]:
    """Claims of several documents, in text order, keyed by document id."""
    out: dict[int, list[Claim]] = {i: [] for i in document_ids}
    if not document_ids:
        return {}
    query = (
        select(ClaimRow, SiteRow.slug)
        .outerjoin(SiteRow, ClaimRow.site_id == SiteRow.id)
        .where(ClaimRow.document_id.in_(document_ids))
        .order_by(ClaimRow.document_id, ClaimRow.start, ClaimRow.id)
    )
    for row, slug in session.execute(query):
        out[row.document_id].append(_claim(row, slug))
    return {k: tuple(v) for k, v in out.items()}


def get(session: Session, document_id: int, *, texts: bool = True) -> Document:
    """One document with its claims (and its texts unless ``texts`` is false).

    Raises:
        NotFoundError: no document has that id.
    """
    row = _doc_row(session, document_id)
    return _document(row, texts=texts, claims=claims_of(session, [row.id])[row.id])


def list_documents(
    session: Session, *, site: str | None = None, with_claims: bool = False
) -> list[Document]:
    """Documents in the order they were added; with ``site``, those that name it."""
    query = select(DocumentRow).order_by(DocumentRow.id)
    if site is not None:
        site_id = sites.row_for(session, site).id
        named = select(ClaimRow.document_id).where(ClaimRow.site_id == site_id)
        query = query.where(DocumentRow.id.in_(named))
    rows = list(session.scalars(query))
    claims = claims_of(session, [r.id for r in rows]) if with_claims else {}
    return [_document(r, claims=claims.get(r.id, ())) for r in rows]


def embeddings(session: Session) -> dict[int, list[float]]:
    """The grouping embedding stored with each document (when it has one)."""
    rows = session.execute(select(DocumentRow.id, DocumentRow.meta))
    return {i: m["embedding"] for i, m in rows if m and m.get("embedding") is not None}


def set_group_keys(session: Session, keys: dict[int, str]) -> None:
    for doc_id, key in keys.items():
        row = _doc_row(session, doc_id)
        if row.group_key != key:
            row.group_key = key
    session.flush()
