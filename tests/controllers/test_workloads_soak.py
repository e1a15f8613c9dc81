"""benchmarks/workloads_soak.py runs, reports what it covered, and refuses an unknown machine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "workloads_soak.py"


def _soak(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_a_short_soak_reports_examples_steps_and_what_happened() -> None:
    done = _soak("--minutes", "0.01", "--machines", "replicaset", "--examples-per-round", "2", "--steps", "5")
    assert done.returncode == 0, done.stderr
    assert "no failure" in done.stdout
    (row,) = [
        line
        for line in done.stdout.splitlines()
        if line.startswith("replicaset ") and "min  round" not in line
    ]
    examples, steps = (int(field.replace(",", "")) for field in row.split()[2:4])
    assert examples >= 1 and steps >= 1


def test_an_unknown_machine_is_refused_with_the_available_ones() -> None:
    done = _soak("--machines", "nosuchmachine")
    assert done.returncode == 2
    assert "unknown machine(s) nosuchmachine" in done.stderr and "replicaset" in done.stderr
