"""``railwatch serve``: the REST API, the dashboard and the review tool in a browser."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from railwatch.cli.common import DEFAULT_DB_VALUE, DbOption, say, store_at
from railwatch.web.settings import DEFAULTS, help_of


def register(app: typer.Typer) -> None:
    """Add ``railwatch serve`` to the app."""
    app.command("serve")(serve)


def serve(
    db: DbOption = DEFAULT_DB_VALUE,
    host: Annotated[str, typer.Option("--host", help=help_of("host"))] = DEFAULTS["host"],
    port: Annotated[int, typer.Option("--port", help=help_of("port"))] = DEFAULTS["port"],
    token: Annotated[
        str | None, typer.Option("--token", envvar="RAILWATCH_TOKEN", help=help_of("token"))
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help=help_of("read_only"))] = DEFAULTS[
        "read_only"
    ],
    auth: Annotated[str, typer.Option("--auth", help=help_of("auth"))] = DEFAULTS["auth"],
) -> None:
    """Serve the store over HTTP: REST API (/api/v1, docs at /api/docs) and the dashboard."""
    import uvicorn

    from railwatch.web import WebSettings, create_app

    generated = token is None
    settings = WebSettings(read_only=read_only, auth=auth, **({"token": token} if token else {}))
    with store_at(db) as store:
        app = create_app(store, settings)
        say(f"railwatch serving {store.url} at http://{host}:{port}/ (API docs: /api/docs)")
        if read_only:
            say("read-only: every write is refused")
        elif generated:
            say(f"write token (set RAILWATCH_TOKEN to keep one): {settings.token}")
        if host not in ("127.0.0.1", "localhost", "::1"):
            say(f"warning: listening on {host}: other machines can reach this server")
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level=os.environ.get("RAILWATCH_LOG_LEVEL", "warning"),
            server_header=False,
        )
