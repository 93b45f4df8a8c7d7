"""tests/run.sh itself: the StatusNotifierWatcher package check must not fail at random.

Under ``set -o pipefail``, ``apt-cache policy … | grep -q`` returns 141 whenever grep exits first
(apt-cache then dies of SIGPIPE), so CI said the package was missing and skipped a whole tray
mode while apt offered it. The check is run here against a stand-in ``apt-cache`` whose output
is long enough that an early-exiting grep always leaves it writing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POLICY = """haskell-status-notifier-item-utils:
  Installed: (none)
  Candidate: {candidate}
  Version table:
"""


def sni_check_function() -> str:
    text = (ROOT / "tests" / "run.sh").read_text(encoding="utf-8")
    match = re.search(r"^sni_candidate\(\) \{\n.*?^\}\n", text, re.M | re.S)
    assert match, "tests/run.sh defines sni_candidate"
    return match.group(0)


def run_check(tmp_path: Path, candidate: str) -> int:
    fake = tmp_path / "bin" / "apt-cache"
    fake.parent.mkdir(exist_ok=True)
    (tmp_path / "policy.txt").write_text(
        POLICY.format(candidate=candidate) + "     500 http://deb.example/debian main\n" * 20000
    )
    fake.write_text(f"#!/bin/sh\ncat {tmp_path / 'policy.txt'}\n")
    fake.chmod(0o755)
    script = (
        "set -euo pipefail\n"
        "SNI_PACKAGE=haskell-status-notifier-item-utils\n"
        f"{sni_check_function()}"
        "if sni_candidate; then exit 0; else exit 1; fi\n"
    )
    done = subprocess.run(
        ["bash", "-c", script],
        env={"PATH": f"{fake.parent}:/usr/bin:/bin"},
        capture_output=True,
        timeout=30,
    )
    return done.returncode


def test_a_package_with_a_candidate_is_found_every_time(tmp_path: Path) -> None:
    results = [run_check(tmp_path, "0.3.1.0-1+b4") for _ in range(5)]
    assert results == [0] * 5


def test_a_package_without_a_candidate_is_reported_missing(tmp_path: Path) -> None:
    assert run_check(tmp_path, "(none)") == 1


def test_a_skipped_watcher_pass_fails_unless_apt_has_no_candidate() -> None:
    text = (ROOT / "tests" / "run.sh").read_text(encoding="utf-8")
    skipped = text[text.index('elif [ "$sni_unavailable" = 1 ]') :]
    skipped = skipped[: skipped.index("\nfi\n")]
    assert "sni_rc=1" in skipped, "not installed although apt offers it: the run fails"
