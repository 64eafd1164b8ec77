"""How long simple commands take from launch to exit (target: 0.3 s each).

Scripts that add counts in a loop pay this once per count. Runs the installed
``railwatch`` console script (as a user would) against a store made for the
purpose, several times per command, and prints the median and the spread.
The modules these commands must not load are checked by tests/test_cli_startup.py.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.cpu import cpu_line

RUNS = 9
SHEET_DAYS = 200
FIRST_DAY = date(2020, 1, 1)
CLASSES = ("box", "open", "tank", "flat", "other")
TARGET_S = 0.3


def _script() -> list[str]:
    here = Path(sys.executable).with_name("railwatch")
    if here.exists():
        return [str(here)]
    found = shutil.which("railwatch")
    return [found] if found else [sys.executable, "-m", "railwatch"]


def _seconds(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return time.perf_counter() - start


def main() -> None:
    exe = _script()
    with tempfile.TemporaryDirectory(prefix="railwatch-bench-") as tmp:
        db = str(Path(tmp) / "s.db")
        subprocess.run([*exe, "init", "--db", db], check=True, capture_output=True)
        subprocess.run(
            [*exe, "sites", "add", "--builtin", "--db", db], check=True, capture_output=True
        )
        commands = {
            "railwatch --help": ["--help"],
            "railwatch sites list": ["sites", "list", "--db", db],
            "railwatch observe add": [
                "observe",
                "add",
                "--site",
                "tumangang",
                "--at",
                "2023-10-05",
                "--count",
                "box=3",
                "--db",
                db,
            ],  # fmt: skip
        }
        print(f"{cpu_line()}; {RUNS} runs each; target {TARGET_S} s")
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"load average at start: {load:.2f}")
        _seconds([*exe, "--help"])  # warm the file cache once
        for name, args in commands.items():
            times = sorted(_seconds([*exe, *args]) for _ in range(RUNS))
            median = statistics.median(times)
            mark = "ok" if median <= TARGET_S else "over target"
            print(
                f"{name:24s} median {median:.3f} s  (min {times[0]:.3f}, max {times[-1]:.3f})"
                f"  {mark}"
            )
        # What a script that records counts in a loop should do instead: one sheet.
        sheet = Path(tmp) / "counts.csv"
        lines = ["site,at,class,count"]
        for day in range(SHEET_DAYS):
            at = (FIRST_DAY + timedelta(days=day)).strftime("%Y-%m-%dT02:13:00Z")
            lines += [f"tumangang,{at},{cls},{(day * 7 + i) % 30}" for i, cls in enumerate(CLASSES)]
        sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
        n = len(lines) - 1
        seconds = _seconds([*exe, "observe", "add", "--from", str(sheet), "--db", db])
        print(
            f"{'observe add --from':24s} {n} counts in {seconds:.2f} s"
            f" = {1000 * seconds / n:.1f} ms a count (one launch, one transaction)"
        )


if __name__ == "__main__":
    main()
