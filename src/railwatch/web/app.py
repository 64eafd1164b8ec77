"""The HTTP edge: a FastAPI app over the same service functions as the CLI.

Every route parses, calls one service function and returns the record's
``to_dict`` — the CLI's ``--json`` shape. Errors railwatch raises on purpose
become HTTP statuses in one handler. Writes need the bearer token; the server
can refuse all writes (``read_only``) or ask the token for reads too
(``auth="all"``). Files are looked up by image id in the store, never by a
path a client sends.
"""

from __future__ import annotations

import gc
import hmac
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from railwatch import __version__, review, service
from railwatch.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    RailwatchError,
    StoreError,
)
from railwatch.plausible import user_time
from railwatch.store import Store
from railwatch.web.settings import WebSettings
from railwatch.web.tiles import TileRenderer

API = "/api/v1"
STATIC = Path(str(resources.files("railwatch.web") / "static"))
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: No inline script or style, no other origin: press text can never run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

Slug = Annotated[str, PathParam(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
ImageId = Annotated[int, PathParam(ge=1, le=2**31)]
AsOf = Annotated[str | None, Query(max_length=40, description="ISO 8601 date, UTC.")]
Cls = Annotated[str, Query(alias="class", max_length=32)]
Win = Annotated[str, Query(max_length=16, description="5y, 18m, 90d, 2w")]
Cloud = Annotated[float, Query(ge=0, le=100)]
Lang = Annotated[str, Query(pattern="^(en|fr)$")]
SiteQuery = Annotated[str | None, Query(max_length=64)]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)


class _Guard:
    """ASGI middleware: body size limit, bearer token, read-only, security headers."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings

    def _authorised(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        return hmac.compare_digest(token.strip().encode(), self.settings.token.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        path = scope["path"]
        writes = method not in SAFE_METHODS
        refusal: JSONResponse | None = None
        if writes and self.settings.read_only:
            refusal = _error(403, "this server is read-only (started with --read-only)")
        elif (writes or (self.settings.auth == "all" and path.startswith(API))) and not (
            self._authorised(scope)
        ):
            refusal = _error(401, "missing or wrong bearer token (Authorization: Bearer …)")
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if refusal is None and length is not None:
            try:
                too_big = int(length) > self.settings.max_body
            except ValueError:
                refusal = _error(400, "bad Content-Length")
            else:
                if too_big:
                    refusal = _error(413, f"request body over {self.settings.max_body} bytes")
        if refusal is not None:
            if refusal.status_code == 401:
                refusal.headers["WWW-Authenticate"] = "Bearer"
            await refusal(scope, receive, self._secured(send))
            return
        limit = self.settings.max_body
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited, self._secured(send))
        except _TooLarge:
            response = _error(413, f"request body over {limit} bytes")
            await response(scope, receive, self._secured(send))

    @staticmethod
    def _secured(send: Send) -> Send:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers") or []
                    if k.lower() != b"content-security-policy" or b"sandbox" in v
                ]
                if not any(k.lower() == b"content-security-policy" for k, _ in headers):
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                ]
                message["headers"] = headers
            await send(message)

        return with_headers


class _Memo:
    def __init__(self, capacity: int) -> None:
        from railwatch.web.tiles import _LRU

        self._lru = _LRU(capacity)

    def get(self, key: object) -> Any:
        return self._lru.get(key)

    def put(self, key: object, value: Any) -> None:
        self._lru.put(key, value)


class _TooLarge(Exception):
    pass


class LabelIn(BaseModel):
    """One label as the review tool sends it."""

    key: str | None = Field(default=None, max_length=40)
    detection_id: int | None = None
    railcar_class: str = Field(max_length=32)
    tarped: bool = False
    status: str = Field(default="accepted", max_length=16)
    polygon: list[list[float]] | None = Field(default=None, max_length=5)


class ReviewIn(BaseModel):
    reviewer: str = Field(min_length=1, max_length=200)
    base_revision: int | None = Field(default=None, ge=0)
    labels: list[LabelIn] = Field(max_length=review.service.MAX_LABELS)
    reviewed: bool = False


class CompleteIn(BaseModel):
    reviewer: str = Field(min_length=1, max_length=200)
    base_revision: int | None = Field(default=None, ge=0)


def _review_doc(
    result: tuple[Any, Any, list[Any]] | None = None, state: Any = None
) -> dict[str, Any]:
    if result is None:
        return {"review": state.to_dict(), "counts": review.counts(state.labels)}
    state, edit, observations = result
    return {
        "review": state.to_dict(),
        "counts": review.counts(state.labels),
        "edit": edit.to_dict(),
        "conflict": edit.conflict,
        "observations": [o.to_dict() for o in observations],
    }


def _when(value: str | None, what: str) -> datetime | None:
    """A query's time, held to the same plausibility rule as the CLI's ``--as-of``."""
    return user_time(value, what=what) if value else None


@contextmanager
def _no_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused while an analysis is computed.

    A ten-year timeline makes some 200 000 short-lived objects (records, candidates,
    rows); each of the collections they set off walks every object the server holds,
    and together those took a third of the computation. The few cycles made meanwhile
    are collected when it is switched back on. (Another thread that paused it too
    leaves it to the first one that did.)
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _preload() -> None:
    """Import what analyses need (scipy, ruptures, the detector's model metadata) now.

    About 0.6 s on 2 cores: paid when the server starts, not by its first request.
    """
    import railwatch.analyze  # noqa: F401
    import railwatch.detect.runs  # noqa: F401


def create_app(store: Store, settings: WebSettings | None = None) -> FastAPI:
    """The railwatch web app over an open store.

    Args:
        store: the store every request reads and writes (one transaction each).
        settings: token, read-only, what needs the token, body limit.
    """
    settings = settings or WebSettings()
    _preload()
    tiles = TileRenderer()
    # Analyses of long histories take seconds (analyze.assess is per date over its window);
    # they are kept against the store's fingerprint, so any new count makes them stale.
    analyses = _Memo(32)

    def memo(kind: str, slug: str, opts: dict[str, Any], compute: Any) -> Response:
        # Kept as encoded JSON: re-encoding a ten-year timeline costs more than the look-up.
        key = (kind, slug, repr(sorted(opts.items())), service.store_version(store))
        hit = analyses.get(key)
        if hit is None:
            with _no_collection():
                hit = json.dumps(compute(), default=_plain, ensure_ascii=False).encode()
            analyses.put(key, hit)
        return Response(hit, media_type="application/json")

    app = FastAPI(
        title="railwatch",
        version=__version__,
        description="Railcar counts, activity analysis, press claims and analyst review.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.store = store
    app.state.settings = settings
    app.state.tiles = tiles

    @app.exception_handler(RailwatchError)
    async def _railwatch_error(_request: Request, exc: RailwatchError) -> JSONResponse:
        if isinstance(exc, NotFoundError):
            return _error(404, str(exc))
        if isinstance(exc, ConflictError):
            return _error(409, str(exc))
        if isinstance(exc, InputError):
            return _error(422, str(exc))
        if isinstance(exc, StoreError):
            return _error(503, str(exc))
        return _error(500, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _error(422, f"{where}: {first.get('msg', 'invalid request')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    # -- pages ---------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/api/docs", include_in_schema=False)
    def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html", media_type="text/html")

    @app.get("/static/{name:path}", include_in_schema=False)
    def static(name: str) -> Response:
        # Only files shipped in the package's static folder, never above it.
        target = (STATIC / name).resolve()
        if not target.is_relative_to(STATIC.resolve()) or not target.is_file():
            return _error(404, "no such file")
        return FileResponse(target, headers={"Cache-Control": "no-cache"})

    # -- sites ---------------------------------------------------------------------
    @app.get(f"{API}/sites", tags=["sites"])
    def sites_list() -> dict[str, Any]:
        """As ``railwatch sites list --json``."""
        return {"sites": [s.to_dict() for s in service.list_sites(store)]}

    @app.get(f"{API}/sites/{{slug}}", tags=["sites"])
    def sites_show(slug: Slug) -> dict[str, Any]:
        """As ``railwatch sites show SLUG --json``."""
        return service.get_site(store, slug).to_dict()

    @app.get(f"{API}/sites/{{slug}}/images", tags=["images"])
    def site_images(slug: Slug) -> dict[str, Any]:
        """As ``railwatch images list --site SLUG --json``."""
        from railwatch import imagery

        return {"images": [i.to_dict() for i in imagery.list_images(store, site=slug)]}

    # -- analysis ------------------------------------------------------------------
    def _analysis_options(
        as_of: str | None, railcar_class: str, window: str, max_cloud: float
    ) -> dict[str, Any]:
        from railwatch import analyze

        when = _when(as_of, "as_of")
        return {
            "railcar_class": railcar_class,
            "window": window,
            "as_of": when.date() if when else None,
            "rules": analyze.Rules(max_cloud=max_cloud),
        }

    @app.get(f"{API}/sites/{{slug}}/analysis", tags=["analysis"])
    def analysis(
        slug: Slug,
        as_of: AsOf = None,
        railcar_class: Cls = "freight",
        window: Win = "5y",
        max_cloud: Cloud = 25.0,
    ) -> Response:
        """As ``railwatch analyze --site SLUG --json``."""
        from railwatch import analyze

        opts = _analysis_options(as_of, railcar_class, window, max_cloud)
        return memo(
            "analysis", slug, opts, lambda: analyze.assess_site(store, slug, **opts).to_dict()
        )

    @app.get(f"{API}/sites/{{slug}}/timeline", tags=["analysis"])
    def timeline(
        slug: Slug,
        as_of: AsOf = None,
        railcar_class: Cls = "freight",
        window: Win = "5y",
        max_cloud: Cloud = 25.0,
    ) -> Response:
        """The analysis laid out for the dashboard's chart: one entry per date."""
        from railwatch import analyze

        opts = _analysis_options(as_of, railcar_class, window, max_cloud)
        return memo("timeline", slug, opts, lambda: analyze.site_timeline(store, slug, **opts))

    @app.get(f"{API}/sites/{{slug}}/judgment", tags=["analysis"])
    def judgment(
        slug: Slug,
        as_of: AsOf = None,
        railcar_class: Cls = "freight",
        window: Win = "5y",
        lang: Lang = "en",
    ) -> Response:
        """The key judgment the report opens with."""
        from railwatch import report

        opts = {"lang": lang, "as_of": _when(as_of, "as_of"), "railcar_class": railcar_class}
        opts["window"] = window
        return memo("judgment", slug, opts, lambda: report.judge(store, slug, **opts))

    @app.get(f"{API}/sites/{{slug}}/report.{{fmt}}", tags=["reports"])
    def report_file(
        slug: Slug,
        fmt: Annotated[str, PathParam(pattern="^(html|pdf|md)$")],
        as_of: AsOf = None,
        railcar_class: Cls = "freight",
        window: Win = "5y",
        lang: Lang = "en",
    ) -> Response:
        """The report as ``railwatch report --format FMT`` writes it, as a download."""
        from railwatch import report

        with tempfile.TemporaryDirectory(prefix="railwatch-report-") as tmp:
            result = report.write(
                store,
                slug,
                Path(tmp),
                formats=fmt,
                lang=lang,
                as_of=_when(as_of, "as_of"),
                railcar_class=railcar_class,
                window=window,
            )
            content = result.files[fmt].read_bytes()
        media = {"html": "text/html", "pdf": "application/pdf", "md": "text/markdown"}[fmt]
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        return Response(
            content,
            media_type=media + ("; charset=utf-8" if fmt != "pdf" else ""),
            headers={
                "Content-Disposition": f'attachment; filename="{slug}-{stamp}.{fmt}"',
                # A downloaded report is a document, not part of the app.
                "Content-Security-Policy": "default-src 'none'; img-src data:; style-src "
                "'unsafe-inline'; sandbox",
            },
        )

    # -- images --------------------------------------------------------------------
    def _image(image_id: int) -> Any:
        from railwatch import imagery

        return imagery.get_image(store, image_id)

    @app.get(f"{API}/images/{{image_id}}", tags=["images"])
    def image_show(image_id: ImageId) -> dict[str, Any]:
        """As ``railwatch images show ID --json``."""
        image, meta = _image(image_id)
        return dict(image.to_dict(), meta=meta)

    @app.get(f"{API}/images/{{image_id}}/footprint", tags=["images"])
    def image_footprint(image_id: ImageId) -> dict[str, Any]:
        """The image's footprint as a GeoJSON Feature (EPSG:4326)."""
        image, _ = _image(image_id)
        return {
            "type": "Feature",
            "id": image.id,
            "geometry": image.footprint,
            "properties": {"id": image.id, "acquired_at": image.to_dict()["acquired_at"]},
        }

    @app.get(f"{API}/images/{{image_id}}/thumbnail.png", tags=["images"])
    def image_thumbnail(
        image_id: ImageId, size: Annotated[int, Query(ge=32, le=1024)] = 256
    ) -> Response:
        """The whole image, its longer side ``size`` pixels."""
        image, _ = _image(image_id)
        png = tiles.thumbnail(image.path, image.sha256, image_id, size)
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @app.get(f"{API}/images/{{image_id}}/tiles/{{z}}/{{x}}/{{y}}.png", tags=["images"])
    def image_tile(
        image_id: ImageId,
        z: Annotated[int, PathParam(ge=0, le=24)],
        x: Annotated[int, PathParam(ge=0)],
        y: Annotated[int, PathParam(ge=0)],
    ) -> Response:
        """A 256-px Web Mercator tile, stretched as the detector sees the image (204: none)."""
        image, _ = _image(image_id)
        png = tiles.tile(image.path, image.sha256, image_id, z, x, y)
        if png is None:
            return Response(status_code=204)
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})

    @app.get(f"{API}/images/{{image_id}}/detections", tags=["detections"])
    def image_detections(image_id: ImageId) -> dict[str, Any]:
        """The detector's boxes as GeoJSON (as ``detect --out`` writes them)."""
        return service.image_detections(store, image_id)

    # -- observations, events ----------------------------------------------------------
    @app.get(f"{API}/observations", tags=["observations"])
    def observations(
        site: SiteQuery = None,
        method: Annotated[str | None, Query(pattern="^(analyst|detector|press)$")] = None,
    ) -> dict[str, Any]:
        """As ``railwatch observe list --json``."""
        rows = service.list_observations(store, site=site, method=method)
        return {"observations": [o.to_dict() for o in rows]}

    @app.get(f"{API}/events", tags=["events"])
    def events(site: SiteQuery = None) -> dict[str, Any]:
        """As ``railwatch events list --json``."""
        return {"events": [e.to_dict() for e in service.list_events(store, site=site)]}

    # -- press ---------------------------------------------------------------------
    @app.get(f"{API}/press/documents", tags=["press"])
    def press_documents(site: SiteQuery = None) -> dict:
        """As ``railwatch press list --json``."""
        from railwatch import press

        docs = press.list_documents(store, site=site)
        return {"documents": [dict(d.to_dict(), claims=len(d.claims)) for d in docs]}

    @app.get(f"{API}/press/documents/{{document_id}}", tags=["press"])
    def press_document(document_id: ImageId) -> dict[str, Any]:
        """As ``railwatch press show ID --json``."""
        from railwatch import press

        return press.get_document(store, document_id).to_dict()

    @app.get(f"{API}/press/claims", tags=["press"])
    def press_claims(site: SiteQuery = None) -> dict:
        """Every stored claim (of reports naming ``site``), with its document's id and outlet."""
        from railwatch import press

        out = []
        for d in press.list_documents(store, site=site):
            for c in d.claims:
                out.append(dict(c.to_dict(), document_id=d.id, outlet=d.outlet))
        return {"claims": out}

    @app.get(f"{API}/press/comparison", tags=["press"])
    def press_comparison(site: SiteQuery = None) -> dict:
        """As ``railwatch press compare --json``."""
        from railwatch import press

        return press.compare(store, site=site).to_dict()

    # -- models ----------------------------------------------------------------------
    @app.get(f"{API}/models", tags=["models"])
    def models() -> dict[str, Any]:
        """As ``railwatch models list --json``."""
        from railwatch import detect

        return json.loads(json.dumps({"models": detect.list_models(store)}, default=_plain))

    # -- reviews ---------------------------------------------------------------------
    @app.get(f"{API}/sites/{{slug}}/reviews", tags=["reviews"])
    def reviews_list(slug: Slug) -> dict[str, Any]:
        """As ``railwatch review list --site SLUG --json``."""
        rows = review.list_reviews(store, site=slug)
        return json.loads(json.dumps({"reviews": rows}, default=_plain))

    @app.get(f"{API}/sites/{{slug}}/reviews/next", tags=["reviews"])
    def reviews_next(
        slug: Slug,
        after: Annotated[int | None, Query(ge=1, le=2**31)] = None,
        direction: Annotated[str, Query(pattern="^(next|previous)$")] = "next",
    ) -> dict[str, Any]:
        """The next (previous) image after ``after`` not yet reviewed, wrapping round once.

        As ``railwatch review next --site SLUG [--after ID] [--previous] --json``;
        ``image_id`` is null when every other image is reviewed.
        """
        found = review.next_unreviewed(
            store, site=slug, after=after, backward=direction == "previous"
        )
        return json.loads(json.dumps(found, default=_plain))

    @app.get(f"{API}/images/{{image_id}}/review", tags=["reviews"])
    def review_show(image_id: ImageId) -> dict[str, Any]:
        """The image's labels as last saved (the detector's when nobody saved any)."""
        return _review_doc(state=review.get_review(store, image_id))

    @app.put(f"{API}/images/{{image_id}}/review", tags=["reviews"])
    def review_save(image_id: ImageId, body: Annotated[ReviewIn, Body()]) -> dict[str, Any]:
        """Save labels; the later save wins, ``conflict`` says a newer one was overwritten."""
        labels = [lab.model_dump() for lab in body.labels]
        result = review.save_review(
            store,
            image_id,
            labels,
            reviewer=body.reviewer,
            base_revision=body.base_revision,
            reviewed=body.reviewed,
        )
        return _review_doc(result)

    @app.post(f"{API}/images/{{image_id}}/review/complete", tags=["reviews"])
    def review_complete(image_id: ImageId, body: Annotated[CompleteIn, Body()]) -> dict:
        """Mark reviewed: the labels become analyst observations the analysis prefers."""
        result = review.complete_review(
            store, image_id, reviewer=body.reviewer, base_revision=body.base_revision
        )
        return _review_doc(result)

    @app.get(f"{API}/images/{{image_id}}/review/history", tags=["reviews"])
    def review_history(image_id: ImageId) -> dict[str, Any]:
        """Every save of the image's review: who, when, what changed."""
        return {"edits": [e.to_dict() for e in review.history(store, image_id)]}

    @app.get(f"{API}/health", tags=["server"])
    def health() -> dict[str, Any]:
        return {
            "version": __version__,
            "read_only": settings.read_only,
            "auth": settings.auth,
        }

    app.add_middleware(_Guard, settings=settings)  # type: ignore[arg-type]
    return app


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat().replace("+00:00", "Z")
    if hasattr(value, "to_dict"):
        return value.to_dict()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
