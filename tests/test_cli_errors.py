"""Bad input at the CLI edge: exit 2 and exactly one line on stderr, the same rule everywhere.

Counts, dates and ids are checked by one set of rules (railwatch.plausible), so no
command stores what another refuses; GDAL's own messages never reach the terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.test_cli_store import table_counts
from tests.test_imagery import utm_transform, write_json, write_plain, write_tif

WHEN = "2023-10-05T02:13:00Z"


@pytest.fixture
def sited(cli):
    cli("sites", "add", "--builtin")
    return cli


def one_line(result, *words: str) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.split("\n")
    assert len(lines) == 2 and lines[1] == "", repr(result.stderr)  # one line, then its newline
    assert lines[0].startswith("error: "), repr(result.stderr)
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--count", "box=99999999999999999999"], ["box=99999999999999999999", "100,000"]),
        (["--count", "box=9223372036854775807"], ["9223372036854775807", "more than any yard"]),
        (["--count", "box=-1"], ["negative"]),
        (["--at", "2099-01-01", "--count", "box=3"], ["--at 2099-01-01", "future"]),
        (["--at", "1800-01-01", "--count", "box=3"], ["--at 1800-01-01", "before 1959"]),
    ],
)
def test_observe_add_refuses_what_no_yard_or_calendar_allows(sited, db_path, args, words):
    full = ["observe", "add", "--site", "tumangang", *args]
    if "--at" not in args:
        full += ["--at", "2023-10-05"]
    before = table_counts(db_path)
    one_line(sited(*full, ok=False), *words)
    assert table_counts(db_path) == before


@pytest.mark.parametrize("day", ["2099-01-01", "1800-06-01"])
def test_every_command_takes_dates_from_the_same_range(sited, tmp_path, db_path, day):
    """What `images add` refuses, `observe add`, `events add` and `analyze` refuse too."""
    image = write_tif(tmp_path / "d.tif")
    before = table_counts(db_path)
    commands = [
        ["images", "add", image, "--site", "tumangang", "--acquired", day],
        ["observe", "add", "--site", "tumangang", "--at", day, "--count", "box=3"],
        ["events", "add", "--at", day, "--title", "a summit"],
        ["analyze", "--site", "tumangang", "--as-of", day],
        ["report", "--site", "tumangang", "--as-of", day, "--out", tmp_path / "r"],
        ["detect", "--site", "tumangang", "--since", day],
    ]
    for command in commands:
        line = one_line(sited(*command, ok=False), day)
        assert "1959-01-01 to " in line, line
    assert table_counts(db_path) == before


def test_the_service_layer_keeps_the_same_rules(store):
    """The REST API calls these functions, not the CLI: they check the same values."""
    from datetime import UTC, datetime

    from railwatch import service
    from railwatch.errors import InputError
    from railwatch.records import Event
    from railwatch.sites import builtin

    service.add_sites(store, builtin())
    good = datetime(2023, 10, 5, tzinfo=UTC)
    with pytest.raises(InputError, match="more than any yard"):
        service.add_counts(store, site="tumangang", observed_at=good, counts={"box": 2**63 - 1})
    with pytest.raises(InputError, match="future"):
        service.add_counts(
            store, site="tumangang", observed_at=datetime(2099, 1, 1, tzinfo=UTC), counts={"box": 1}
        )
    with pytest.raises(InputError, match="unknown railcar class"):
        service.add_counts(store, site="tumangang", observed_at=good, counts={"wagons": 1})
    with pytest.raises(InputError, match="before 1959"):
        service.add_event(store, Event(occurred_at=datetime(1800, 1, 1, tzinfo=UTC), title="x"))
    assert service.list_observations(store) == [] and service.list_events(store) == []


def test_errors_after_a_progress_bar_have_no_empty_line_first(sited, tmp_path):
    good = write_tif(tmp_path / "good.tif", tags={"TIFFTAG_DATETIME": "2023:10:05 02:13:00"})
    bad = write_tif(tmp_path / "undated.tif")
    one_line(sited("images", "add", good, bad, "--site", "tumangang", ok=False), "undated.tif")
    one_line(sited("detect", tmp_path / "missing.tif", ok=False), "missing.tif", "no such file")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CPL_LOG"}
    code = "import sys; from railwatch.cli import main; sys.argv[0] = 'railwatch'; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_gdal_says_nothing_of_its_own(tmp_path):
    """GDAL writes "ERROR 1: ..." to the process's stderr itself: only a subprocess sees it."""
    db = tmp_path / "s.db"
    assert _run(["init", "--db", db], tmp_path).returncode == 0
    assert _run(["sites", "add", "--builtin", "--db", db], tmp_path).returncode == 0
    cases = []
    t = list(utm_transform(0.5, 100, 100))[:6]
    for name, crs in [("code", "EPSG:999999"), ("wkt", "PROJCS[nonsense]")]:
        png = write_plain(tmp_path / f"{name}.png", width=100, height=100)
        write_json(tmp_path / f"{name}.png.json", {"crs": crs, "transform": t, "datetime": WHEN})
        cases.append(png)
    for png in cases:
        done = _run(["images", "add", png, "--site", "tumangang", "--db", db], tmp_path)
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
        assert "is not a CRS" in done.stderr and "ERROR 1" not in done.stderr
