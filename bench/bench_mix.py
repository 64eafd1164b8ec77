"""The 2024 crossing scenario from detector counts: is the class-mix shift found?

Renders ``tumangang-2024`` (cached under ``$RAILWATCH_BENCH_DIR`` or the system temp
folder), counts it with the shipped detector through ``railwatch demo --scenario 2024``,
and checks the issue's targets against truth.csv: the direction of every class that
truly moved by 30 % or more, no class flagged that did not move, the peak date, and both
sites summed right (the detector's pair sums against the true ones).
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from railwatch import analyze
from railwatch.demo import GROUP, run_demo_2024
from railwatch.records import Observation, SiteGroup
from railwatch.simulate.scenario import AS_OF_2024, MIX_AFTER, MIX_BEFORE, PEAK_2024
from railwatch.store import open_store

FREIGHT = ("box", "open", "tank", "flat", "other")


def _truth(root: Path) -> list[Observation]:
    out = []
    with (root / "truth.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            at = datetime.fromisoformat(row["acquired_at"].replace("Z", "+00:00")).astimezone(UTC)
            for cls in (*FREIGHT, "passenger", "locomotive"):
                out.append(
                    Observation(site=row["site"], observed_at=at, railcar_class=cls,
                                count=int(row[cls]), method="analyst", source="truth")
                )  # fmt: skip
    return out


def main() -> None:
    out = Path(os.environ.get("RAILWATCH_BENCH_DIR", tempfile.gettempdir())) / "bench-mix-2024"
    start = time.perf_counter()
    summary = run_demo_2024(out, step=lambda m: print(f"  {m}", flush=True))
    print(f"demo --scenario 2024: {time.perf_counter() - start:.0f} s "
          f"({', '.join(f'{k} {v:.0f} s' for k, v in summary.seconds.items())}), "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    store = open_store(summary.db)
    try:
        det = analyze.assess_group(store, GROUP, as_of=AS_OF_2024, mix=True)
    finally:
        store.close()
    group = SiteGroup(slug=GROUP, name="crossing", sites=("tumangang", "khasan"))
    series = analyze.pair_sites(_truth(out / "archive-2024"), group, until=AS_OF_2024)
    truth_mix = analyze.assess_mix(series.observations(), site=GROUP, as_of=AS_OF_2024)
    assert det.mix is not None
    got = {c.railcar_class: c for c in det.mix.classes}
    true = {c.railcar_class: c for c in truth_mix.classes}
    ok = True
    print("class  true-ratio  det-ratio  det-verdict  target")
    for cls in FREIGHT:
        planned = MIX_AFTER[cls] / MIX_BEFORE[cls]
        want = "rose" if planned >= 1.3 else "fell" if planned <= 0.7 else "not flagged"
        verdict = got[cls].verdict if cls in got else "absent"
        hit = verdict == want if want != "not flagged" else verdict not in ("rose", "fell")
        ok &= hit
        ratio = got[cls].ratio if cls in got else None
        print(f"{cls:6} {true[cls].ratio:>9.2f}  {ratio or 0:>9.2f}  {verdict:11}  "
              f"{want} {'ok' if hit else 'MISSED'}")  # fmt: skip
    peak = max(det.assessment.rows, key=lambda r: r.value)
    print(f"peak: detector {peak.date} ({peak.value}), truth {PEAK_2024}: "
          f"{'ok' if peak.date == PEAK_2024 else 'MISSED'}")  # fmt: skip
    ok &= peak.date == PEAK_2024
    truth_pairs = {p.date: p for p in series.pairs}
    det_pairs = {p.date: p for p in det.series.pairs}
    common = sorted(set(truth_pairs) & set(det_pairs))
    errors = [det_pairs[d].freight - truth_pairs[d].freight for d in common]
    same_partners = sum(
        [p.date for p in det_pairs[d].parts] == [p.date for p in truth_pairs[d].parts]
        for d in common
    )
    adds_up = all(p.freight == sum(x.freight for x in p.parts) for p in det.series.pairs)
    print(f"pairs: {len(det_pairs)} detector, {len(truth_pairs)} truth, {len(common)} common, "
          f"{same_partners} with the same partner dates; sums add up: {adds_up}")  # fmt: skip
    if errors:
        mae = sum(abs(e) for e in errors) / len(errors)
        bias = sum(errors) / len(errors)
        print(
            f"summed freight, detector − truth: MAE {mae:.1f} cars, bias {bias:+.1f} "
            f"(truth mean {sum(truth_pairs[d].freight for d in common) / len(common):.1f})"
        )
    print(f"mix finding (detector): {det.mix.finding}")
    print(f"targets: {'all met' if ok else 'NOT all met'}")


if __name__ == "__main__":
    main()
