"""The same commands against PostgreSQL, on a throwaway server started for the test.

Skipped where no PostgreSQL server binaries or no psycopg are installed;
``.ci/run`` installs both, so CI always runs it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import Cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    pytest.importorskip("psycopg")
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("no PostgreSQL server installed (apt-get install postgresql)")
    bindir = Path(found[-1]).parent
    as_postgres: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="railwatch-pg-", dir="/tmp"))
    if os.geteuid() == 0:  # initdb refuses to run as root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
    port = _free_port()
    data = root / "data"

    def run(*cmd: str) -> None:
        subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    run(
        str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start",
    )  # fmt: skip
    try:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres", autocommit=True) as c:
            c.execute("CREATE DATABASE railwatch")
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/railwatch"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_store_round_trip_on_postgres(pg_url):
    cli = Cli(pg_url)  # type: ignore[arg-type]
    cli("init")
    cli("sites", "add", "--builtin")
    cli("observe", "add", "--site", "tumangang", "--at", "2023-10-05T02:13:00Z",
        "--count", "box=60", "--count", "flat=13", "--analyst", "jdoe")  # fmt: skip
    bad = cli("observe", "add", "--site", "tumangang", "--at", "2023-10-05", "--count", "box=-1",
              ok=False)  # fmt: skip
    assert bad.exit_code == 2
    cli("events", "add", "--at", "2023-09-13", "--title", "Kim–Putin summit", "--kind", "summit")
    obs = cli.json("observe", "list", "--site", "tumangang")["observations"]
    assert sorted((o["railcar_class"], o["count"]) for o in obs) == [("box", 60), ("flat", 13)]
    assert obs[0]["observed_at"] == "2023-10-05T02:13:00Z"  # UTC survives the round trip
    sites = cli.json("sites", "list")["sites"]
    assert "Туманган" in next(s for s in sites if s["slug"] == "tumangang")["aliases"]
    events = cli.json("events", "list")["events"]
    assert [e["title"] for e in events] == ["Kim–Putin summit"]
    analysis = cli.json("analyze", "--site", "tumangang")
    assert analysis["latest"]["level"] == "insufficient-history"


def test_timeline_on_postgres_is_the_reference(pg_url):
    # The timeline reads times as the driver gives them (datetimes here, text in SQLite).
    import psycopg

    from railwatch.store import open_store
    from test_web_timeline import _answered, _reference, build_rich

    server = pg_url.rsplit("/", 1)[0].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(server + "/postgres", autocommit=True) as c:
        c.execute("CREATE DATABASE rich")
    store = open_store(pg_url.rsplit("/", 1)[0] + "/rich", create=True)
    try:
        build_rich(store)
        for opts in ({}, {"as_of": "2023-06-30", "railcar_class": "box"}):
            assert _answered(store, opts) == _reference(store, opts)
    finally:
        store.close()
