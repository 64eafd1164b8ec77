"""The observation store: sites, images, detections, observations, events, press.

SQLite by default, any SQLAlchemy URL (PostgreSQL for teams) otherwise. Callers
open a :class:`Store`, then call the functions of this package inside one
``store.transaction()`` each, so a command either happens whole or not at all.
Rows never leave this package; the functions take and return
:mod:`railwatch.records`.

SQLAlchemy loads when a store is first opened, not when this package is
imported, so ``railwatch --help`` does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

DEFAULT_DB = "railwatch.db"

if TYPE_CHECKING:
    from railwatch.store.engine import Store, database_url, open_store

__all__ = ["DEFAULT_DB", "Store", "database_url", "open_store"]


def __getattr__(name: str) -> Any:
    if name in ("Store", "database_url", "open_store"):
        from railwatch.store import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'railwatch.store' has no attribute {name!r}")
