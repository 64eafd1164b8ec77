"""Press ingestion speed: reports per second after the models are loaded.

Loads the language model, the gazetteer (spaCy) and the sentence encoder once,
then ingests copies of the packaged samples (made unique so none is a no-op)
into a fresh SQLite store, limited to 2 CPU threads.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "2")

N_REPORTS = 40


def main() -> None:
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
