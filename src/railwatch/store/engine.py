"""Opening, creating and migrating a store.

A store is a database URL. A bare path means SQLite at that path, with WAL and
foreign keys switched on, so several readers can work while one writer writes.
The schema is always brought to the newest Alembic revision, so a store made by
an older railwatch opens after an upgrade.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from railwatch.errors import StoreError
from railwatch.store import DEFAULT_DB

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["DEFAULT_DB", "Store", "database_url", "open_store"]

MIGRATIONS = Path(__file__).with_name("migrations")
# How a revision file names itself and its parent (Alembic's own template writes these lines).
_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


def database_url(db: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for a path or URL as typed by the user."""
    text = str(db)
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_WROTE = "railwatch_wrote"


def count_changes(sessions: sessionmaker[Session]) -> None:
    """Make every committed transaction that wrote bump ``store_changes.version``.

    Both ways a store module writes are seen: objects added, changed or deleted
    (flushes) and ``insert``/``update``/``delete`` statements. The bump is in the
    same transaction as the writes, so a reader never sees new data under an old
    version, and other processes writing the same store bump it too.
    """

    def flushing(session: Session, _context: Any, _instances: Any) -> None:
        if session.new or session.dirty or session.deleted:
            session.info[_WROTE] = True

    def executing(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            state.session.info[_WROTE] = True

    def committing(session: Session) -> None:
        session.flush()
        if session.info.pop(_WROTE, False):
            conn = session.connection()
            bumped = conn.execute(
                text("UPDATE store_changes SET version = version + 1 WHERE id = 1")
            )
            if bumped.rowcount == 0:
                conn.execute(text("INSERT INTO store_changes (id, version) VALUES (1, 1)"))

    def ending(session: Session, _transaction: Any = None) -> None:
        session.info.pop(_WROTE, None)

    event.listen(sessions, "before_flush", flushing)
    event.listen(sessions, "do_orm_execute", executing)
    event.listen(sessions, "before_commit", committing)
    event.listen(sessions, "after_rollback", ending)


@dataclass
class Store:
    """A handle on one store: its engine and a factory of transactions."""

    url: str
    engine: Engine
    _sessions: sessionmaker[Session]

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed whole on success, rolled back whole on error."""
        with self._sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    return None


@cache
def head_revision() -> str:
    """The newest schema revision, read from the revision files' own lines.

    Alembic itself is only imported when a store needs migrating: loading it
    costs most of a simple command's start-up. A test checks this agrees with
    Alembic's own idea of the head.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found[1])
        down = _DOWN.search(source)
        if down is not None:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down[1]))
    heads = revisions - parents
    if len(heads) != 1:
        raise StoreError(f"{MIGRATIONS}: expected one head revision, found {sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision (None for a store not made yet)."""
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, url: str) -> None:
    """Bring the schema to the newest revision (no-op when already there)."""
    from alembic import command

    cfg = _alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_store(db: str | os.PathLike[str] = DEFAULT_DB, *, create: bool = False) -> Store:
    """Open the store at ``db``, migrating it to the current schema.

    Args:
        db: a path (SQLite) or a SQLAlchemy URL (``postgresql+psycopg://…``).
        create: make the store when it does not exist yet; otherwise that is an error.

    Raises:
        StoreError: no store there (and ``create`` is false), or it cannot be opened.
    """
    url = database_url(db)
    path = _sqlite_path(url)
    if path is not None:
        if not path.exists() and not create:
            raise StoreError(f"{path}: no store here; run 'railwatch init' first (or pass --db)")
        if path.exists() and path.is_dir():
            raise StoreError(f"{path}: is a directory, not a store")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = _engine(url)
        current = current_revision(engine)
        if not create and current is None:
            raise StoreError(f"{db}: not a railwatch store (no schema version found)")
        if current != head_revision():
            migrate(engine, url)
    except StoreError:
        raise
    except SQLAlchemyError as exc:
        raise StoreError(f"{db}: cannot open store: {exc.__class__.__name__}: {exc}") from exc
    sessions = sessionmaker(engine, expire_on_commit=False)
    count_changes(sessions)
    return Store(url=url, engine=engine, _sessions=sessions)
