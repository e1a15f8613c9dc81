"""The consensus suite through the kspec plugin (in a pytester subprocess): its
report must say exactly what was checked. An implementation that does not
expose its members' logs gets the log-based requirements reported not
applicable, never passed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SUITE = Path(__file__).resolve().parents[2] / "conformance" / "consensus" / "test_consensus.py"

IMPLEMENTATIONS = """
from types import SimpleNamespace

from impl.raft.sim import SimulatedRaftProvider

def with_logs():
    return SimpleNamespace(name="raft", components={"consensus": SimulatedRaftProvider()})

def without_logs():
    provider = SimulatedRaftProvider(exposes_logs=False)
    return SimpleNamespace(name="black box", components={"consensus": provider})

def without_capabilities():
    provider = SimulatedRaftProvider(capabilities=frozenset())
    return SimpleNamespace(name="plain", components={"consensus": provider})
"""

LOG_REQUIREMENTS = ("RAFT-LEADER-APPEND-ONLY", "RAFT-LOG-MATCHING", "RAFT-LEADER-COMPLETENESS")


@pytest.mark.parametrize(("factory", "verdict"), [("with_logs", "pass"), ("without_logs", "not applicable")])
def test_log_requirements_are_reported_only_when_logs_were_checked(
    pytester: pytest.Pytester, factory: str, verdict: str
) -> None:
    pytester.makepyfile(raftimpl=IMPLEMENTATIONS)
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--impl", f"raftimpl:{factory}", "--kspec-profile", "dev",
        "--kspec-report-dir", str(reports), "-k", "logs", str(SUITE),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    report = json.loads((reports / "conformance.json").read_text())
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert [verdicts[rid] for rid in LOG_REQUIREMENTS] == [verdict] * len(LOG_REQUIREMENTS)
    # The status-based requirements were deselected here, so they are untested, not passed.
    assert verdicts["RAFT-ELECTION-SAFETY"] == "untested"


CAPABILITY_REQUIREMENTS = ("RAFT-CONFIG-SAFETY", "RAFT-CONFIG-REMOVED-LEADER", "RAFT-READ-LINEARIZABLE")


def test_capability_requirements_are_not_applicable_without_the_capabilities(
    pytester: pytest.Pytester,
) -> None:
    # (That they pass with them is what the suite itself reports in tox's conformance job; running
    # both machines here again would cost the project's tests a few seconds for nothing new.)
    pytester.makepyfile(raftimpl=IMPLEMENTATIONS)
    reports = pytester.path / "reports"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--impl", "raftimpl:without_capabilities", "--kspec-profile", "dev",
        "--kspec-report-dir", str(reports), "-k", "membership or reads", str(SUITE),
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    report = json.loads((reports / "conformance.json").read_text())
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert [verdicts[rid] for rid in CAPABILITY_REQUIREMENTS] == ["not applicable"] * len(
        CAPABILITY_REQUIREMENTS
    )
