"""The example of a plugged-in implementation runs the real suite, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_the_official_client_example_runs_against_the_reference_server() -> None:
    pytest.importorskip("kubernetes")
    import yaml

    completed = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "deployment_client.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    lines = completed.stdout.splitlines()
    assert "patched   spec.replicas=5 generation=2" in lines
    assert [line.split()[1] for line in lines if line.startswith("watched")] == ["MODIFIED", "DELETED"]
    documents = [
        d
        for path in (ROOT / "examples" / "manifests").glob("*.yaml")
        for d in yaml.safe_load_all(path.read_text())
        if d
    ]
    created = [line for line in lines if line.startswith("created   ") and "/web generation" not in line]
    refused = [line for line in lines if line.startswith("refused   ")]
    assert len(created) + len(refused) == len(documents)
    # The only refusals are the documented ones: CRDs with CEL rules (README, "The API server").
    assert all("CEL validation rules are not supported by this server" in line for line in refused)
    assert len(refused) <= 1
    assert f"{len(documents)} objects of examples/manifests sent" in completed.stdout
