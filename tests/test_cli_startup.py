"""Simple commands start without loading the heavy libraries (their start-up time is in bench/).

Each command runs in a fresh interpreter, which then lists the modules it loaded: a
heavy import that creeps back into the path of ``--help``, ``sites list`` or
``observe add`` fails here, while the seconds it costs are measured by
``bench/bench_startup.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = (
    "numpy",
    "scipy",
    "shapely",
    "rasterio",
    "pyproj",
    "spacy",
    "matplotlib",
    "weasyprint",
    "onnxruntime",
    "torch",
    "alembic",
    "trafilatura",
    "dateparser",
    "PIL",
)

PROBE = r"""
import json, sys
from railwatch.cli import main
sys.argv = ["railwatch", *json.loads(sys.argv[1])]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
loaded = sorted({m.split(".")[0] for m in sys.modules} & HEAVY)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def _loaded(*args: str, extra: tuple[str, ...] = ()) -> list[str]:
    """The heavy top-level packages ``railwatch ARGS`` loaded (and exited 0)."""
    probe = f"HEAVY = {set(HEAVY + extra)!r}\n" + PROBE
    result = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(list(args))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(result.stderr.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr
    return report["loaded"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("startup") / "s.db"
    subprocess.run(
        [sys.executable, "-m", "railwatch", "init", "--db", str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        [sys.executable, "-m", "railwatch", "sites", "add", "--builtin", "--db", str(path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


def test_help_loads_nothing_heavy() -> None:
    # --help opens no store either: not even SQLAlchemy.
    assert _loaded("--help", extra=("sqlalchemy",)) == []


def test_sites_list_loads_nothing_heavy(db: Path) -> None:
    assert _loaded("sites", "list", "--db", str(db)) == []


def test_observe_add_loads_nothing_heavy(db: Path) -> None:
    args = ("observe", "add", "--site", "tumangang", "--at", "2023-10-05", "--count", "box=3")
    assert _loaded(*args, "--db", str(db)) == []
