"""The settings of ``railwatch serve``, in one registry the CLI, the app and the docs read."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Address to listen on; only this machine by default."),
    Setting("port", 8000, "TCP port."),
    Setting(
        "token",
        None,
        "Bearer token that writes (and with --auth all, reads) need; env RAILWATCH_TOKEN. "
        "One is generated and printed at start when none is given.",
    ),
    Setting("read_only", False, "Refuse every write (403), whatever the token."),
    Setting("auth", "writes", "What needs the token: writes (default) or all."),
    Setting("max_body", 2 * 1024 * 1024, "Largest request body accepted, in bytes (413 above)."),
)

DEFAULTS: dict[str, Any] = {s.name: s.default for s in SETTINGS}
AUTH_MODES = ("writes", "all")


@dataclass(frozen=True)
class WebSettings:
    """What one running app was started with."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    read_only: bool = DEFAULTS["read_only"]
    auth: str = DEFAULTS["auth"]
    max_body: int = DEFAULTS["max_body"]

    def __post_init__(self) -> None:
        from railwatch.errors import InputError

        if self.auth not in AUTH_MODES:
            raise InputError(f"--auth {self.auth!r}: choose writes or all")
        if len(self.token) < 8:
            raise InputError("--token: give at least 8 characters")
        if self.max_body < 1024:
            raise InputError("max_body: at least 1024 bytes")


def help_of(name: str) -> str:
    for s in SETTINGS:
        if s.name == name:
            return str(s.help)
    raise KeyError(name)
