"""``railwatch report`` on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from railwatch import service
from railwatch.store import open_store


def _history(cli) -> None:
    """A year of ordinary counts, a summit, then 73 freight cars (set up in-process: fast)."""
    cli("sites", "add", "--builtin")
    with open_store(cli.db) as store:
        for i in range(12):
            service.add_counts(
                store, site="tumangang", observed_at=datetime(2022, 1 + i, 10, tzinfo=UTC),
                counts={"box": 8 + i % 5, "flat": 2}, analyst="A",
            )  # fmt: skip
        service.add_counts(
            store, site="tumangang", observed_at=datetime(2023, 9, 15, tzinfo=UTC),
            counts={"box": 10},
        )  # fmt: skip
        service.add_counts(
            store, site="tumangang", observed_at=datetime(2023, 10, 5, tzinfo=UTC),
            counts={"box": 60, "flat": 13}, note="<b>tarps</b>",
        )  # fmt: skip
    cli("events", "add", "--at", "2023-09-13", "--title", "Summit", "--site", "tumangang")


def test_report_json_is_one_document(cli, tmp_path):
    _history(cli)
    out = tmp_path / "rep"
    result = cli("report", "--site", "tumangang", "--out", out, "--format", "html,md",
                 "--as-of", "2023-10-06", "--json")  # fmt: skip
    doc = json.loads(result.stdout)
    assert doc["level"] == "unprecedented"
    assert doc["term"] == "likely"
    assert "73" in doc["judgment"]
    assert set(doc["files"]) >= {"html", "md", "chart_png", "chart_svg"}
    assert "pdf" not in doc["files"]
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    assert (out / "chart.png").is_file() and (out / "chart.svg").is_file()
    assert "<b>tarps</b>" not in (out / "report.html").read_text(encoding="utf-8")


def test_report_as_of_before_the_rise_is_normal(cli, tmp_path):
    _history(cli)
    doc = cli.json("report", "--site", "tumangang", "--out", tmp_path / "r", "--format", "md",
                   "--as-of", "2023-09-16", "--lang", "fr")  # fmt: skip
    assert doc["level"] == "normal"
    assert doc["judgment"].startswith("Rien d'inhabituel")
    assert "15 septembre 2023" in doc["judgment"]


def test_report_prints_judgment_and_paths(cli, tmp_path):
    _history(cli)
    result = cli("report", "--site", "tumangang", "--out", tmp_path / "r", "--format", "md")
    assert "likely" in result.stdout
    assert "report.md" in result.stderr


def test_report_errors_are_one_line(cli, tmp_path):
    cli("sites", "add", "--builtin")
    for args, words in (
        (("--site", "nowhere"), "unknown site"),
        (("--site", "tumangang", "--format", "docx"), "format"),
        (("--site", "tumangang", "--lang", "de"), "language"),
        (("--site", "tumangang", "--window", "ages"), "window"),
        (("--site", "tumangang", "--class", "wagons"), "railcar class"),
        (("--site", "tumangang", "--as-of", "yesterday"), "--as-of"),
    ):
        result = cli("report", "--out", tmp_path / "r", *args, ok=False)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("error: ") and words in result.stderr, result.stderr
