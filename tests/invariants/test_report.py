"""``python -m invariants``: the table names every registered invariant; the exit status tells failures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from invariants.framework import Counterexample, ProofResult, load_all
from invariants.report import main, prove_all, render_table
from tests.invariants import mutants
from tests.invariants.mutants import mutated

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_shows_every_registered_invariant() -> None:
    registered = load_all()
    assert len(registered) >= 6
    table = render_table(prove_all(list(registered.values())))
    header = table.splitlines()[0].split()
    assert header == ["invariant", "statement", "bounds", "result", "time"]
    for key, invariant in registered.items():
        row = next(line for line in table.splitlines() if line.startswith(key + " "))
        assert "proved" in row and " s" in row
        assert invariant.describe_bounds(invariant.default_bounds) in row
        assert invariant.statement.split()[0] in row  # the wrapped statement starts on the row


def test_failures_are_listed_under_the_table() -> None:
    results = [
        ProofResult("X-ONE:bounded", "X-ONE", "X MUST hold.", "n = 1..3", "proved", 0.01),
        ProofResult(
            "X-TWO:bounded",
            "X-TWO",
            "Y MUST hold.",
            "n = 1..3",
            "counterexample",
            0.02,
            Counterexample("n=2: {m0} and {m1} are both quorums and share no member"),
        ),
        ProofResult(
            "X-THREE:symbolic", "X-THREE", "Z MUST hold.", "every n", "unknown", 20.0, reason="timeout"
        ),
    ]
    table = render_table(results)
    assert "X-TWO:bounded: counterexample: n=2: {m0} and {m1} are both quorums and share no member" in table
    assert "X-THREE:symbolic: unknown: timeout" in table
    assert "X-ONE:bounded: " not in table


def test_main_proves_everything_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    for key in load_all():
        assert key in out
    assert f"{len(load_all())} of {len(load_all())} proved" in out


def test_main_exits_non_zero_on_a_counterexample(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with mutated(monkeypatch, "majority", mutants.half_for_even):
        assert main(["QUORUM-INTERSECTION:bounded"]) == 1
    out = capsys.readouterr().out
    assert "QUORUM-INTERSECTION:bounded: counterexample: n=2, majority(2)=1" in out
    assert "0 of 1 proved" in out


def test_main_selects_by_requirement_id_and_refuses_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["QUORUM-FAULT-TOLERANCE"]) == 0
    out = capsys.readouterr().out
    assert "QUORUM-FAULT-TOLERANCE:bounded" in out and "QUORUM-FAULT-TOLERANCE:symbolic" in out
    assert "QUORUM-INTERSECTION" not in out
    assert main(["NO-SUCH-INVARIANT"]) == 2
    assert "unknown invariant(s): NO-SUCH-INVARIANT" in capsys.readouterr().err


def test_python_dash_m_invariants_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "invariants", "QUORUM-INTERSECTION:symbolic"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "QUORUM-INTERSECTION:symbolic" in done.stdout and "1 of 1 proved" in done.stdout
