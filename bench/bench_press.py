"""Press: the extractor scored on the gold set, and how fast it reads reports.

First ``press evaluate`` over the project's gold set (every split, per language,
with every wrong observation), then extraction speed on 3 kB reports made by
joining gold reports of one language (start-up timed apart, in a fresh process:
imports, language model, gazetteer), each figure with the load average and the CPU,
then ingestion into a fresh SQLite store with the sentence
encoder. Limited to 2 CPU threads.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

N_REPORTS = 40


def _pr(score) -> str:
    p, r = score.precision, score.recall
    return f"{'-' if p is None else f'{p:.2f}'}/{'-' if r is None else f'{r:.2f}'}"


# Start-up in a fresh interpreter: in `make bench` earlier benchmarks have already
# imported spaCy or torch, which would hide what a user's first `press add` waits for.
_STARTUP = """
import time
t0 = time.perf_counter()
from pathlib import Path
from railwatch.press import evaluation, language
from railwatch.press.service import prepare
from railwatch.sites import builtin
t1 = time.perf_counter()
language.load()
t2 = time.perf_counter()
folder = Path(evaluation.__file__).with_name("gold")
first = {}
for e in evaluation.load_gold(folder):
    first.setdefault(e["lang"], e)
e = next(iter(first.values()))
prepare(folder / e["file"], builtin(), published=e.get("published"))
t3 = time.perf_counter()
for e in list(first.values())[1:]:
    prepare(folder / e["file"], builtin(), published=e.get("published"))
t4 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)
"""


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def startup() -> None:
    """Start-up of a fresh process, three times; the median run is printed."""
    import subprocess
    import sys

    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", _STARTUP], capture_output=True, text=True, check=True
        ).stdout.split()
        runs.append([float(x) for x in out])
    imports, langid, first, rest, total = sorted(runs, key=lambda r: r[-1])[1]
    print(
        f"start-up, fresh process (median of 3): {total:.2f} s = imports {imports:.2f} + "
        f"py3langid {langid:.2f} + first report (spaCy, gazetteer, patterns) {first:.2f} + "
        f"one report in each other language {rest:.2f}; {_load()}"
    )


def gold() -> None:
    from bench.cpu import cpu_line

    print(cpu_line())
    startup()
    from railwatch.press import evaluation, language
    from railwatch.press.service import prepare
    from railwatch.sites import builtin

    folder = Path(evaluation.__file__).with_name("gold")
    entries = evaluation.load_gold(folder)
    language.load()
    first = {}
    for e in entries:  # one report per language builds its patterns and date parser
        first.setdefault(e["lang"], e)
    for e in first.values():
        prepare(folder / e["file"], builtin(), published=e.get("published"))

    result = evaluation.evaluate(folder, builtin())
    for split in ("heldout2", "heldout", "tune"):
        langs = result.scores.get(split, {})
        columns = ["all", *sorted(k for k in langs if k != "all")]
        n = sum(1 for r in result.reports if r.split == split)
        print(f"\ngold split {split}: {n} reports, precision/recall per slot")
        print(f"{'slot':<14}" + "".join(f"{c:>11}" for c in columns))
        for slot in evaluation.SLOTS:
            cells = [_pr(langs[c][slot]) if slot in langs.get(c, {}) else "-" for c in columns]
            print(f"{slot:<14}" + "".join(f"{x:>11}" for x in cells))
    print(f"\nwrong observations: {len(result.wrong_observations)}")
    for w in result.wrong_observations:
        print(
            f"  {w['split']} {w['file']}: {w['count']} {w['railcar_class']} at {w['site']} "
            f"on {w['date']}: {w['quote']!r}"
        )

    # 3 kB reports: the gold reports of one language joined as the paragraphs of one article.
    by_lang: dict[str, list[str]] = {}
    for e in entries:
        if e["file"].endswith(".txt"):
            by_lang.setdefault(e["lang"], []).append(
                (folder / e["file"]).read_text(encoding="utf-8")
            )
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(N_REPORTS):
            lang = sorted(by_lang)[i % len(by_lang)]
            parts, k = [], i
            while len("\n\n".join(parts).encode()) < 3000:
                parts.append(by_lang[lang][k % len(by_lang[lang])])
                k += 1
            f = Path(tmp) / f"r{i:03d}.txt"
            f.write_text("\n\n".join(parts), encoding="utf-8")
            files.append(f)
        size = sum(f.stat().st_size for f in files) / len(files)
        rates = []
        for _ in range(3):  # after start-up: every pipeline and pattern is built
            t0 = time.perf_counter()
            for f in files:
                prepare(f, builtin(), published="2024-01-15")
            rates.append(len(files) / (time.perf_counter() - t0))
    print(
        f"read + clean + identify + extract, {len(files)} reports of {size / 1000:.1f} kB, "
        f"one process: {sorted(rates)[1]:.1f} reports/s (median of 3 passes; "
        f"{min(rates):.1f}-{max(rates):.1f}); {_load()}"
    )


def main() -> None:
    gold()
    from railwatch import press, service
    from railwatch.press import gazetteer, grouping, language
    from railwatch.sites import builtin
    from railwatch.store import open_store

    start = time.perf_counter()
    language.load()
    for lang in ("fr", "en", "nl"):
        gazetteer.load(lang, builtin())
    grouping.load()
    load_s = time.perf_counter() - start
    print(f"model load (py3langid + spaCy gazetteer + USE encoder): {load_s:.2f} s")

    samples = press.sample_reports()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(N_REPORTS):
            entry = samples[i % len(samples)]
            src = Path(entry["path"])
            dst = Path(tmp) / f"r{i:03d}{src.suffix}"
            dst.write_bytes(src.read_bytes() + f"\n\n(copy {i})\n".encode())
            files.append(dst)
        store = open_store(Path(tmp) / "bench.db", create=True)
        service.add_sites(store, builtin())
        t0 = time.perf_counter()
        for f in files[:10]:  # one command per report, as a user would add them
            press.ingest(store, [f], published="2023-10-06")
        one_by_one = 10 / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        press.ingest(store, files[10:], published="2023-10-06")
        batch = (N_REPORTS - 10) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for f in files[:20]:
            text = f.read_text(encoding="utf-8")
            press.extract_claims(text, "en", None, builtin())
        extract = 20 / (time.perf_counter() - t0)
        store.close()
    print(f"ingest, one report per call: {one_by_one:.1f} reports/s")
    print(f"ingest, {N_REPORTS - 10} reports in one call: {batch:.1f} reports/s")
    print(f"extract_claims alone: {extract:.1f} reports/s")


if __name__ == "__main__":
    main()
