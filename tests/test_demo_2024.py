"""``railwatch demo --scenario 2024`` end to end on a few dates of the crossing story.

The whole 2024 archive from detector counts is a benchmark (``bench/bench_mix.py``);
here three dates a side are enough to run every stage on both sites.
"""

from __future__ import annotations

import csv

import pytest

from railwatch import analyze
from railwatch.demo import GROUP, run_demo
from railwatch.errors import InputError
from railwatch.simulate import scenario as scenario_mod
from railwatch.simulate.scenario import PEAK_2024
from railwatch.store import open_store


def _few(name: str):
    every = scenario_mod._specs_2024()
    tumangang = [d for d, s in every if s.site == "tumangang"]
    khasan = {d: s for d, s in every if s.site == "khasan"}
    keep = []
    for day in tumangang:
        near = [k for k in khasan if 0 <= (k - day).days <= 3]
        if near and (len(keep) < 4 or day == PEAK_2024):
            keep += [day, near[0]]
    wanted = set(keep)
    return [(d, s) for d, s in every if d in wanted and (s.site == "khasan") == (d in khasan)]


@pytest.mark.slow
def test_demo_2024_pairs_both_sides_and_reports_the_mix(tmp_path, monkeypatch):
    monkeypatch.setattr(scenario_mod, "scenario_specs", _few)
    summary = run_demo(tmp_path / "demo", scenario="2024", lang="fr")
    out = tmp_path / "demo"
    rows = list(csv.DictReader((out / "archive-2024" / "truth.csv").open(encoding="utf-8")))
    assert {r["site"] for r in rows} == {"tumangang", "khasan"} and len(rows) == 6
    for name in ("report.html", "report.pdf", "report.md", "mix.png"):
        assert (out / "report-2024" / name).stat().st_size > 0, name
    md = " ".join((out / "report-2024" / "report.md").read_text("utf-8").split())
    assert "## Les deux côtés : la part de chaque site" in md
    # Three dates cannot tell a mix: the report says so rather than guessing.
    assert "Les données ne permettent pas de dire si la composition du trafic" in md
    assert any(line.startswith("Class mix: The data cannot tell") for line in summary.lines)
    # The press count of ore cars is checked against open wagons, by class.
    press = md.split("## Ce qu'a dit la presse")[1].split("\n## ")[0]
    assert "— wagons tombereaux (14 juin 2024)" in press and "≈50 (open)" in press
    store = open_store(summary.db)
    try:
        grouped = analyze.assess_group(store, GROUP, as_of="2024-06-20")
    finally:
        store.close()
    assert len(grouped.series.pairs) == 3
    peak = max(grouped.assessment.rows, key=lambda r: r.value)
    assert peak.date == PEAK_2024
    for pair in grouped.series.pairs:
        assert [p.site for p in pair.parts] == ["tumangang", "khasan"]
        assert pair.freight == sum(p.freight for p in pair.parts) > 0


def test_demo_refuses_an_unknown_scenario(tmp_path):
    with pytest.raises(InputError, match="unknown demo scenario '2025'"):
        run_demo(tmp_path, scenario="2025")
