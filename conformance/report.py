"""The conformance report: per-test outcomes folded into verdicts per
component and per requirement, written as ``reports/conformance.json`` and
``reports/conformance.md`` and printed at the end of the run.

Verdict of a requirement, from the tests tagged with it:
``fail`` if any failed; else ``known finding`` if any is an expected failure
(a peer bug recorded in docs/findings.md); else ``pass`` if any passed; else
``not applicable`` if the implementation lacks the component; else
``skipped``; ``inconclusive`` if its only tests failed on other requirements;
``untested`` if no test is tagged with it. A requirement is never
reported as passing because its tests were skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from spec.requirements import COMPONENTS, Requirement

OUTCOMES = ("passed", "failed", "skipped", "not applicable", "xfailed")


@dataclass
class TestResult:
    __test__ = False  # a result, not a test class for pytest to collect

    nodeid: str
    outcome: str = "passed"
    requirements: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    duration: float = 0.0
    message: str = ""
    #: The requirements a failure names (``conformance.violation``); empty if it names none.
    violated: tuple[str, ...] = ()

    def outcome_for(self, requirement_id: str) -> str | None:
        """This test's outcome as evidence about one requirement (None: no evidence).

        A failure that names the requirements it violated fails only those;
        for the test's other requirements it is no evidence either way. A
        failure that names none (a crash, an error) fails them all.
        """
        if self.outcome == "failed" and self.violated and requirement_id not in self.violated:
            return None
        return self.outcome


@dataclass
class Report:
    implementation: str
    profile: str
    tests: list[TestResult]
    requirements: Mapping[str, Requirement]
    components: dict[str, dict[str, int]] = field(init=False)
    verdicts: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.components = component_table(self.tests)
        self.verdicts = requirement_verdicts(self.tests, self.requirements)

    @property
    def passed(self) -> bool:
        return not any(t.outcome == "failed" for t in self.tests)

    @property
    def result(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def to_json(self) -> str:
        by_requirement = _tests_by_requirement(self.tests)
        document = {
            "implementation": self.implementation,
            "profile": self.profile,
            "result": self.result.lower(),
            "components": self.components,
            "requirements": [
                {
                    "id": req.id,
                    "component": req.component,
                    "statement": req.statement,
                    "source": req.source,
                    "verdict": self.verdicts[req.id],
                    "tests": sorted(t.nodeid for t in by_requirement.get(req.id, [])),
                }
                for req in self.requirements.values()
            ],
            "tests": [asdict(t) for t in self.tests],
        }
        return json.dumps(document, indent=2, sort_keys=False) + "\n"

    def to_markdown(self) -> str:
        lines = [
            f"# kspec conformance report: `{self.implementation}`",
            "",
            f"Result: **{self.result}** (Hypothesis profile `{self.profile}`, {len(self.tests)} tests)",
            "",
            "## Components",
            "",
            *_component_rows(self.components, markdown=True),
            "",
            "## Requirements",
            "",
            "| verdict | ID | component | statement |",
            "|---|---|---|---|",
        ]
        for req in self.requirements.values():
            statement = req.statement.replace("|", "\\|")
            lines.append(f"| {self.verdicts[req.id]} | `{req.id}` | {req.component} | {statement} |")
        failures = [t for t in self.tests if t.outcome == "failed"]
        if failures:
            lines += ["", "## Failures", ""]
            for test in failures:
                lines += [
                    f"### `{test.nodeid}`",
                    "",
                    f"Requirements: {', '.join(test.requirements) or '-'}",
                    "",
                ]
                lines += ["```", test.message.rstrip(), "```", ""]
        return "\n".join(lines).rstrip() + "\n"

    def terminal_lines(self) -> list[str]:
        lines = [
            f"implementation: {self.implementation}   profile: {self.profile}   result: {self.result}",
            "",
        ]
        lines += _component_rows(self.components, markdown=False)
        lines.append("")
        width = max((len(r) for r in self.requirements), default=2)
        for req in self.requirements.values():
            lines.append(f"{self.verdicts[req.id]:<15} {req.id:<{width}}  {req.statement}")
        return lines

    def write(self, directory: Path) -> tuple[Path, Path]:
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / "conformance.json"
        md_path = directory / "conformance.md"
        json_path.write_text(self.to_json(), encoding="utf-8")
        md_path.write_text(self.to_markdown(), encoding="utf-8")
        return json_path, md_path


def component_table(tests: Iterable[TestResult]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for test in tests:
        for component in test.components:
            row = table.setdefault(component, dict.fromkeys(OUTCOMES, 0))
            row[test.outcome] += 1
    order = {name: i for i, name in enumerate(COMPONENTS)}
    return dict(sorted(table.items(), key=lambda item: order.get(item[0], len(order))))


def requirement_verdicts(
    tests: Iterable[TestResult], requirements: Mapping[str, Requirement]
) -> dict[str, str]:
    by_requirement = _tests_by_requirement(tests)
    verdicts = {}
    for rid in requirements:
        tests = by_requirement.get(rid, [])
        outcomes = [o for o in (t.outcome_for(rid) for t in tests) if o is not None]
        verdicts[rid] = _verdict(outcomes) if outcomes or not tests else "inconclusive"
    return verdicts


def _verdict(outcomes: list[str]) -> str:
    if not outcomes:
        return "untested"
    if "failed" in outcomes:
        return "fail"
    if "xfailed" in outcomes:
        return "known finding"
    if "passed" in outcomes:
        return "pass"
    if all(o == "not applicable" for o in outcomes):
        return "not applicable"
    return "skipped"


def _tests_by_requirement(tests: Iterable[TestResult]) -> dict[str, list[TestResult]]:
    grouped: dict[str, list[TestResult]] = {}
    for test in tests:
        for rid in test.requirements:
            grouped.setdefault(rid, []).append(test)
    return grouped


def _component_rows(table: Mapping[str, Mapping[str, int]], *, markdown: bool) -> list[str]:
    header = ["component", *OUTCOMES]
    rows = [[name, *(str(counts[o]) for o in OUTCOMES)] for name, counts in table.items()]
    if not rows:
        return ["(no component was tested)"]
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
            "| " + " | ".join(row) + " |" for row in rows
        ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
