"""The observation store: sites, images, detections, observations, events, press.

SQLite by default, any SQLAlchemy URL (PostgreSQL for teams) otherwise. Callers
open a :class:`Store`, then call the functions of this package inside one
``store.transaction()`` each, so a command either happens whole or not at all.
Rows never leave this package; the functions take and return
:mod:`railwatch.records`.
"""

from railwatch.store.engine import DEFAULT_DB, Store, database_url, open_store

__all__ = ["DEFAULT_DB", "Store", "database_url", "open_store"]
