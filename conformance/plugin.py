"""The kspec pytest plugin (entry point ``pytest11``).

- ``--impl NAME`` picks the implementation under test (``reference`` by default,
  an entry-point name, or ``package.module:factory``); a bad name is one
  readable error line, not a traceback.
- ``@pytest.mark.component("kv", ...)`` marks a test that runs against the
  implementation; if the implementation lacks the component, the test is
  skipped and reported *not applicable*, never silently passed.
- ``@pytest.mark.requirement("ID", ...)`` ties a test to requirements declared
  in ``spec/``; an unknown ID fails collection.
- ``--kspec-profile dev|ci|deep`` (or $HYPOTHESIS_PROFILE) picks the
  Hypothesis profile. Hypothesis' pool of source constants is pinned to the
  spec's and the suite's (``conformance/hypothesis_constants.py``), so a
  derandomized run draws the same examples whichever tests ran before.
- At the end of a run that executed component tests: a summary table
  (components x outcomes, and a verdict per requirement) on the terminal, and
  ``reports/conformance.json`` / ``.md`` (``--kspec-report-dir``). JUnit XML
  comes from pytest's own ``--junitxml``; requirement IDs appear there as test
  properties. Works under pytest-xdist: the controller gathers the reports.
"""

from __future__ import annotations

import functools
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from conformance.adapters.loading import Implementation, ImplementationError, load_implementation
from conformance.hypothesis_constants import pin_local_constants
from conformance.profiles import PROFILES, choose_profile, register_profiles
from conformance.report import Report, TestResult
from conformance.violation import violated_requirements
from spec.requirements import COMPONENTS, load_all

_NOT_APPLICABLE = "not applicable: "
# Every collector asks; walking the spec package once per run is enough.
_declared_requirements = functools.cache(load_all)
_session_key = pytest.StashKey["_KspecSession"]()


class _KspecSession:
    """What one run knows: the implementation, the profile, and each conformance test's result.

    Registered as a plugin object in ``pytest_configure`` so that its hooks
    see this run's state (under xdist, the controller's instance gathers the
    workers' reports).
    """

    def __init__(self, config: pytest.Config, implementation: Implementation, profile: str) -> None:
        self.config = config
        self.implementation = implementation
        self.profile = profile
        self.results: dict[str, TestResult] = {}

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        for name in _marker_args(item, "component"):
            if not self.implementation.provides(name):
                pytest.skip(
                    f"{_NOT_APPLICABLE}implementation {self.implementation.name!r} "
                    f"does not provide component {name!r}"
                )

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is not None:
            violated = violated_requirements(call.excinfo.value)
            if violated:
                report.user_properties = [*report.user_properties, ("kspec_violated", ",".join(violated))]
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if "kspec_components" not in properties:
            return  # not a conformance test: the project's own tests are not part of the verdict
        result = self.results.setdefault(
            report.nodeid,
            TestResult(
                nodeid=report.nodeid,
                requirements=_split(properties.get("kspec_requirements")),
                components=_split(properties["kspec_components"]),
            ),
        )
        result.duration += report.duration
        outcome = _outcome(report)
        if outcome is None:
            return
        # The worst phase wins: a teardown error fails a test whose call passed.
        if result.outcome == "passed" or outcome == "failed":
            result.outcome = outcome
            result.message = _message(report)
            result.violated = _split(properties.get("kspec_violated"))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput") or not self.results:
            return  # an xdist worker, or a run without conformance tests: no report
        report = Report(
            implementation=self.implementation.name,
            profile=self.profile,
            tests=sorted(self.results.values(), key=lambda t: t.nodeid),
            requirements=_declared_requirements(),
        )
        directory = Path(self.config.getoption("--kspec-report-dir") or self.config.rootpath / "reports")
        json_path, md_path = report.write(directory)
        terminalreporter.section("kspec conformance")
        for line in report.terminal_lines():
            terminalreporter.write_line(line)
        terminalreporter.write_line("")
        terminalreporter.write_line(f"reports: {json_path}  {md_path}")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kspec", "kspec conformance suite")
    group.addoption(
        "--impl",
        default="reference",
        metavar="NAME",
        help="implementation under test: 'reference' (default), an entry-point name in "
        "'kspec.implementations', or package.module:factory",
    )
    group.addoption(
        "--kspec-profile",
        default=None,
        choices=PROFILES,
        help="Hypothesis profile (default: ci under CI, else dev)",
    )
    group.addoption(
        "--kspec-report-dir",
        default=None,
        metavar="DIR",
        help="where conformance.json/.md go (default: <rootdir>/reports)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requirement(*ids): the requirement IDs (declared in spec/) this test checks"
    )
    config.addinivalue_line(
        "markers", "component(*names): the components of the implementation under test this test needs"
    )
    register_profiles()
    pin_local_constants()
    profile = choose_profile(config.getoption("--kspec-profile"))
    settings.load_profile(profile)
    try:
        implementation = load_implementation(config.getoption("--impl"))
    except ImplementationError as exc:
        raise pytest.UsageError(f"kspec: {exc}") from None
    session = _KspecSession(config, implementation, profile)
    config.stash[_session_key] = session
    config.pluginmanager.register(session, "kspec-session")


@pytest.fixture(scope="session")
def kspec_implementation(request: pytest.FixtureRequest) -> Implementation:
    """The implementation under test (``--impl``)."""
    return request.config.stash[_session_key].implementation


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """Turn an unknown requirement ID or component name into a collection error of its module."""
    report = yield
    if report.outcome != "passed":
        return report
    known = _declared_requirements()
    problems = []
    for node in report.result:
        if not isinstance(node, pytest.Item):
            continue
        for rid in _marker_args(node, "requirement"):
            if rid not in known:
                problems.append(f"{node.nodeid}: unknown requirement ID {rid!r} (declare it in spec/)")
        for name in _marker_args(node, "component"):
            if name not in COMPONENTS:
                problems.append(f"{node.nodeid}: unknown component {name!r}; known: {', '.join(COMPONENTS)}")
    if problems:
        report.outcome = "failed"
        report.longrepr = "\n".join(problems)
        report.result = []
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # user_properties travel with every test report, across xdist workers and into JUnit XML.
    for item in items:
        requirements = _marker_args(item, "requirement")
        components = _marker_args(item, "component")
        if requirements:
            item.user_properties.append(("kspec_requirements", ",".join(requirements)))
        if components:
            item.user_properties.append(("kspec_components", ",".join(components)))


def _outcome(report: pytest.TestReport) -> str | None:
    if hasattr(report, "wasxfail"):
        if report.skipped:
            return "xfailed"
        return "passed" if report.when == "call" else None  # a non-strict XPASS
    if report.failed:
        return "failed"
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        return "not applicable" if _NOT_APPLICABLE in reason else "skipped"
    if report.when == "call":
        return "passed"
    return None


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2])
    text = report.longreprtext or ""
    return text[-4000:]


def _marker_args(item: pytest.Item, name: str) -> tuple[str, ...]:
    return tuple(str(arg) for marker in item.iter_markers(name) for arg in marker.args)


def _split(value: object) -> tuple[str, ...]:
    return tuple(part for part in str(value or "").split(",") if part)
