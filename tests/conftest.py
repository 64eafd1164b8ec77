"""Shared fixtures: a fresh store, an in-process CLI runner, the seed reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from railwatch.cli import app
from railwatch.store import open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


class Cli:
    """Runs railwatch in-process against one store and keeps stdout and stderr apart."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True):
        result = self.runner.invoke(app, [*map(str, args), "--db", str(self.db)])
        if ok and result.exit_code != 0:
            raise AssertionError(
                f"railwatch {' '.join(map(str, args))} exited {result.exit_code}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"
            )
        return result

    def json(self, *args: str):
        return json.loads(self(*args, "--json").stdout)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def cli(db_path: Path) -> Cli:
    c = Cli(db_path)
    c("init")
    return c


@pytest.fixture
def store(db_path: Path):
    s = open_store(db_path, create=True)
    yield s
    s.close()


@pytest.fixture
def seeds_dir() -> Path:
    path = SHARED / "seeds"
    if not path.is_dir():
        pytest.skip("../shared/seeds/ is not here")
    return path


@pytest.fixture
def real_yard() -> Path:
    path = SHARED / "real" / "muttenz-yard"
    if not path.is_dir():
        pytest.skip("../shared/real/muttenz-yard/ is not here")
    return path
