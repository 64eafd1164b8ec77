"""The report over real press.compare output, including an open-ended count ("at least 70")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from railwatch import press, report, service
from railwatch.records import Event
from railwatch.sites import builtin

WIRE = (
    "Satellite images taken on October 5, 2023 show at least 70 freight cars at the Tumangang "
    "rail facility in North Korea, Beyond Parallel said.\n"
)
DAILY = (
    "Imagery from October 5, 2023 shows 73 freight cars at Tumangang, according to Beyond "
    "Parallel, at most 20 in the past five years.\n"
)


def test_report_renders_with_open_ended_press_count(store, tmp_path):
    service.add_sites(store, builtin())
    start = datetime(2021, 1, 1, tzinfo=UTC)
    for i in range(30):
        service.add_counts(
            store, site="tumangang", observed_at=start + timedelta(days=30 * i),
            counts={"box": 5 + i % 7}, analyst="test",
        )  # fmt: skip
    service.add_counts(
        store, site="tumangang", observed_at=datetime(2023, 10, 5, tzinfo=UTC),
        counts={"box": 60, "flat": 13}, analyst="test",
    )  # fmt: skip
    service.add_event(
        store, Event(occurred_at=datetime(2023, 9, 13, tzinfo=UTC), title="Summit", kind="summit")
    )
    wire, daily = tmp_path / "wire.txt", tmp_path / "daily.txt"
    wire.write_text(WIRE, encoding="utf-8")
    daily.write_text(DAILY, encoding="utf-8")
    press.ingest(store, [wire], published="2023-10-06", outlet="Wire", lang="en")
    press.ingest(store, [daily], published="2023-10-06", outlet="Daily", lang="en")

    groups = press.compare(store, site="tumangang").to_dict()
    counts = [
        v["value"]
        for g in groups["groups"]
        for s in g["slots"]
        if s["name"] == "count"
        for v in s["values"]
    ]
    assert [70.0, None] in counts  # the open bound is JSON null, not Infinity

    result = report.write(store, "tumangang", tmp_path / "out", formats=("html",), lang="en")
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert result.level == "unprecedented"
    assert "Wire" in html and "Daily" in html
