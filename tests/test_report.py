"""Verdicts of the conformance report, from hand-made test results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.report import Report, TestResult, requirement_verdicts
from spec.requirements import Requirement

REQUIREMENTS = {
    rid: Requirement(
        id=rid, statement=f"{rid} MUST hold.", component="register", source="test", module="tests"
    )
    for rid in ("A-ONE", "B-TWO", "C-THREE")
}


def result(outcome: str, *requirements: str, violated: tuple[str, ...] = ()) -> TestResult:
    return TestResult(
        nodeid=f"t::{outcome}-{'-'.join(requirements)}",
        outcome=outcome,
        requirements=requirements,
        components=("register",),
        violated=violated,
    )


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ([], "untested"),
        (["passed"], "pass"),
        (["passed", "failed"], "fail"),
        (["skipped", "passed"], "pass"),
        (["not applicable"], "not applicable"),
        (["not applicable", "skipped"], "skipped"),
        (["passed", "xfailed"], "known finding"),
        (["xfailed", "failed"], "fail"),
    ],
)
def test_verdict_rules(outcomes: list[str], verdict: str) -> None:
    tests = [result(o, "A-ONE") for o in outcomes]
    assert requirement_verdicts(tests, REQUIREMENTS)["A-ONE"] == verdict


def test_a_named_violation_fails_only_its_requirement() -> None:
    tests = [result("failed", "A-ONE", "B-TWO", violated=("B-TWO",)), result("passed", "A-ONE")]
    verdicts = requirement_verdicts(tests, REQUIREMENTS)
    assert verdicts == {"A-ONE": "pass", "B-TWO": "fail", "C-THREE": "untested"}


def test_a_failure_on_another_requirement_alone_is_inconclusive() -> None:
    tests = [result("failed", "A-ONE", "B-TWO", violated=("B-TWO",))]
    assert requirement_verdicts(tests, REQUIREMENTS)["A-ONE"] == "inconclusive"


def test_an_unnamed_failure_fails_every_requirement_of_the_test() -> None:
    tests = [result("failed", "A-ONE", "B-TWO")]
    verdicts = requirement_verdicts(tests, REQUIREMENTS)
    assert verdicts["A-ONE"] == verdicts["B-TWO"] == "fail"


def test_written_reports_agree(tmp_path: Path) -> None:
    report = Report(
        implementation="x",
        profile="ci",
        tests=[result("passed", "A-ONE"), result("failed", "B-TWO")],
        requirements=REQUIREMENTS,
    )
    json_path, md_path = report.write(tmp_path / "reports")
    document = json.loads(json_path.read_text())
    assert document["result"] == "fail"
    assert {r["id"]: r["verdict"] for r in document["requirements"]} == {
        "A-ONE": "pass",
        "B-TWO": "fail",
        "C-THREE": "untested",
    }
    markdown = md_path.read_text()
    assert "Result: **FAIL**" in markdown
    assert "| fail | `B-TWO` |" in markdown
    assert "## Failures" in markdown
