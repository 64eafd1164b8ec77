"""Peak-memory helpers for benchmarks: run work in a child process and read its peak RSS."""

from __future__ import annotations

import json
import subprocess
import sys


def peak_rss_mb_of(code: str) -> tuple[float, dict]:
    """Run Python ``code`` in a fresh interpreter.

    The peak is the child's ``VmHWM``, not ``getrusage().ru_maxrss``: Linux carries
    the parent's high-water mark into a child's ``ru_maxrss`` at exec, so after
    a benchmark that grew this process every child would read at least its size.

    Returns:
        Its peak RSS in MB and the last JSON line it printed before ours.
    """
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            code + "\nimport json\n"
            "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
            "print(json.dumps({'__rss_kb': int(hwm[0].split()[1])}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    rss = json.loads(lines[-1])["__rss_kb"] / 1024
    result = json.loads(lines[-2]) if len(lines) > 1 else {}
    return rss, result
