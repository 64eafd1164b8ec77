"""The CPU a figure was measured on: speeds depend on it, and so did int8 answers once.

onnxruntime picks its int8 kernels by instruction set (VNNI, AVX-512BW, AVX2,
ARM dot product), so every speed figure is printed with this line beside it.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

#: The flags that choose onnxruntime's kernels, in the order they are printed.
FLAGS = (
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512_vnni",
    "avx_vnni",
    "amx_int8",
    "asimd",
    "asimddp",
    "i8mm",
)


def _cpuinfo() -> tuple[str, set[str]]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine(), set()
    name, flags = "", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model name", "CPU part") and not name:
            name = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
    return name or platform.machine(), flags


def cpu_line() -> str:
    """One line: the CPU's name, its core count and the kernel-choosing flags it has."""
    name, flags = _cpuinfo()
    have = [f for f in FLAGS if f in flags]
    vnni = "VNNI" if {"avx512_vnni", "avx_vnni"} & flags else "no VNNI"
    return (
        f"CPU: {name}, {os.cpu_count()} cores, {platform.machine()}, {vnni}; "
        f"flags: {' '.join(have) or 'none of ' + ' '.join(FLAGS)}"
    )


if __name__ == "__main__":
    print(cpu_line())
