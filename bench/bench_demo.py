"""The demo's wall time on this machine, stage by stage, from a fresh output folder.

The README quotes this figure with the CPU it was measured on: the demo renders its
archive first, so the time covers everything a new user waits for.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.cpu import cpu_line


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "demo-output"
        start = time.perf_counter()
        proc = subprocess.run(
            [str(Path(sys.executable).with_name("railwatch")), "demo", "--out", str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
    stages = re.search(r"demo finished in [\d.]+ s \(([^)]*)\)", proc.stdout + proc.stderr)
    print(f"demo (fresh archive): {wall:.1f} s wall, process start included")
    if stages:
        print(f"  stages: {stages.group(1)}")
    print(f"  {cpu_line()}")


if __name__ == "__main__":
    main()
