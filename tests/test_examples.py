"""The example of a plugged-in implementation runs the real suite, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_inmemory_register_example_passes_the_register_suite(tmp_path: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "conformance",
            "-q",
            "-p",
            "no:cacheprovider",
            "--impl",
            "examples.inmemory_register:factory",
            "--kspec-profile",
            "dev",
            "--kspec-report-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    report = json.loads((tmp_path / "conformance.json").read_text())
    assert report["implementation"] == "inmemory-register"
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"] if r["component"] == "register"}
    assert set(verdicts.values()) == {"pass"}, verdicts
