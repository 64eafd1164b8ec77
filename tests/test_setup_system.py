"""scripts/setup-system.sh: the Debian packages `make test` and `make demo` install themselves.

The script runs on a PATH of our own: fake ``id``, ``sudo`` and ``apt-get`` that record
what they were asked, and no Chromium, so nothing on this machine is installed or needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup-system.sh"


def _tool(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A PATH with the few real tools the script uses and fake apt-get/id/sudo."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("grep", "ldconfig", "env", "sh", "true"):
        real = shutil.which(name) or shutil.which(name, path="/sbin:/usr/sbin")
        if real:
            (bin_dir / name).symlink_to(real)
    log = tmp_path / "apt.log"
    _tool(bin_dir, "apt-get", f'echo "apt-get $*" >> {log}')
    return bin_dir


def _run(fake_bin: Path, *groups: str, uid: int, sudo_ok: bool = False):
    _tool(fake_bin, "id", f"echo {uid}")
    _tool(fake_bin, "sudo", 'shift; exec "$@"' if sudo_ok else "exit 1")
    env = {"PATH": str(fake_bin), "HOME": str(fake_bin.parent)}
    return subprocess.run(
        [shutil.which("bash") or "/bin/bash", str(SCRIPT), *groups],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _apt_calls(fake_bin: Path) -> list[str]:
    log = fake_bin.parent / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_missing_packages_without_root_stop_with_one_line(fake_bin: Path) -> None:
    result = _run(fake_bin, "browser", uid=1000)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "chromium chromium-driver" in lines[0]
    assert "apt-get install" in lines[0] and "sudo" in lines[0]
    assert _apt_calls(fake_bin) == []


def test_missing_packages_as_root_are_installed(fake_bin: Path) -> None:
    result = _run(fake_bin, "browser", uid=0)
    assert result.returncode == 0, result.stderr
    calls = _apt_calls(fake_bin)
    assert calls[0].startswith("apt-get update")
    assert "install" in calls[1] and calls[1].endswith("chromium chromium-driver")


def test_password_less_sudo_installs(fake_bin: Path) -> None:
    result = _run(fake_bin, "browser", uid=1000, sudo_ok=True)
    assert result.returncode == 0, result.stderr
    assert len(_apt_calls(fake_bin)) == 2


def test_nothing_missing_runs_no_apt_get(fake_bin: Path) -> None:
    _tool(fake_bin, "chromium", "true")
    _tool(fake_bin, "chromedriver", "true")
    result = _run(fake_bin, "browser", uid=0)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert _apt_calls(fake_bin) == []


def test_unknown_group_is_refused(fake_bin: Path) -> None:
    result = _run(fake_bin, "browsers", uid=0)
    assert result.returncode == 2
    assert "browsers" in result.stderr


def test_make_test_and_demo_set_up_the_system_first() -> None:
    # A dry run prints the recipes make would run, in order: the system check comes first.
    env = dict(os.environ, MAKEFLAGS="")
    for target, groups in (("test", "pdf postgres browser cpu"), ("demo", "pdf")):
        out = subprocess.run(
            ["make", "-n", "-W", "pyproject.toml", target],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.splitlines()
        setup = [i for i, line in enumerate(out) if "setup-system.sh" in line]
        assert setup and out[setup[0]].endswith(groups), out
        work = [i for i, line in enumerate(out) if "pytest" in line or "railwatch demo" in line]
        assert work and setup[0] < work[0], out
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get" not in ci and "make test" in ci
