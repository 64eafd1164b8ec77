"""The Alembic history and the ORM tables must describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from railwatch.store import open_store
from railwatch.store.engine import current_revision, head_revision
from railwatch.store.schema import Base


def test_migrations_match_models(tmp_path):
    store = open_store(tmp_path / "s.db", create=True)
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata
        )
    store.close()
    assert diff == [], f"schema drift; add an Alembic revision: {diff}"


def test_store_is_at_head_and_has_every_table(tmp_path):
    store = open_store(tmp_path / "s.db", create=True)
    assert current_revision(store.engine) == head_revision()
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "sites",
        "images",
        "detections",
        "observations",
        "events",
        "documents",
        "claims",
        "models",
    } <= tables
    store.close()


def test_non_store_file_is_refused(tmp_path):
    import sqlite3

    import pytest

    from railwatch.errors import StoreError

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a railwatch store"):
        open_store(other)


def test_head_revision_read_from_the_files_is_alembics_head():
    from alembic.script import ScriptDirectory

    from railwatch.store.engine import _alembic_config

    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    assert head_revision() == script.get_current_head()
