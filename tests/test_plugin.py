"""The kspec pytest plugin, run in a separate pytest process (pytester) so that
each run loads its own implementation and Hypothesis profile."""

from __future__ import annotations

import json
import textwrap

import pytest

FAKE_IMPLEMENTATIONS = """
from types import SimpleNamespace

def provides_register():
    return SimpleNamespace(name="fake", description="a test double", components={"register": object()})

def broken():
    raise RuntimeError("boom")

def no_components():
    return 42

def unknown_component():
    return SimpleNamespace(components={"teleporter": object()})
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(fakeimpl=FAKE_IMPLEMENTATIONS)
    return pytester


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


def load_report(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "reports" / "conformance.json").read_text())


def one_line_error(result: pytest.RunResult) -> str:
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.str()
    assert "Traceback" not in result.stderr.str()
    return errors[0]


def test_unknown_implementation_is_one_readable_line(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_x="def test_x(): pass")
    result = run(suite, "--impl", "nonexistent")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    line = one_line_error(result)
    assert "unknown implementation 'nonexistent'" in line
    known = line.split("known: ", 1)[1].split(" (")[0].split(", ")
    assert "reference" in known  # with whatever else is registered (pysyncobj, ...)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("no_such_module:factory", "cannot import 'no_such_module'"),
        ("fakeimpl:missing", "has no attribute 'missing'"),
        ("fakeimpl:broken", "failed: RuntimeError('boom')"),
        ("fakeimpl:no_components", "has no 'components' mapping"),
        ("fakeimpl:unknown_component", "unknown component(s) 'teleporter'"),
    ],
)
def test_bad_factory_is_one_readable_line(suite: pytest.Pytester, target: str, expected: str) -> None:
    suite.makepyfile(test_x="def test_x(): pass")
    result = run(suite, "--impl", target)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert expected in one_line_error(result)


def test_missing_component_is_not_applicable_never_passed(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_suite="""
        import pytest

        @pytest.mark.component("register")
        @pytest.mark.requirement("REG-READ-LATEST")
        def test_provided(kspec_implementation):
            assert kspec_implementation.name == "fake"

        @pytest.mark.component("kv")
        @pytest.mark.requirement("REG-CONVERGE")
        def test_missing():
            raise AssertionError("must not run")
        """
    )
    result = run(suite, "--impl", "fakeimpl:provides_register", "-rs")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*not applicable: implementation 'fake' does not provide component 'kv'*"])
    report = load_report(suite)
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert verdicts["REG-READ-LATEST"] == "pass"
    assert verdicts["REG-CONVERGE"] == "not applicable"
    assert verdicts["REG-REPLICA-PREFIX"] == "untested"
    assert report["components"]["kv"]["not applicable"] == 1
    assert report["components"]["register"]["passed"] == 1


def test_unknown_requirement_id_is_a_collection_error(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.requirement("NO-SUCH-REQUIREMENT")
        def test_x():
            pass
        """
    )
    result = run(suite)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*ERROR collecting*", "*unknown requirement ID 'NO-SUCH-REQUIREMENT'*"])


def test_unknown_component_name_is_a_collection_error(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_bad="""
        import pytest

        @pytest.mark.component("teleporter")
        def test_x():
            pass
        """
    )
    result = run(suite)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*unknown component 'teleporter'*"])


VERDICT_SUITE = """
import pytest
from conformance.violation import require
from spec.register import REG_CONVERGE, REG_READ_LATEST

pytestmark = pytest.mark.component("register")

@pytest.mark.requirement("REG-READ-LATEST", "REG-CONVERGE")
def test_names_its_violation():
    require(REG_CONVERGE, False, lambda: "never converged")

@pytest.mark.requirement("REG-REPLICA-PREFIX")
def test_plain_failure():
    assert 1 == 2

@pytest.mark.requirement("REG-READ-LATEST")
def test_pass():
    require(REG_READ_LATEST, True, lambda: "unused")
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_failures_gate_and_name_their_requirement(suite: pytest.Pytester, workers: list[str]) -> None:
    suite.makepyfile(test_verdicts=VERDICT_SUITE)
    result = run(suite, "--impl", "fakeimpl:provides_register", "--junitxml=junit.xml", *workers)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    report = load_report(suite)
    assert report["result"] == "fail"
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"] if r["component"] == "register"}
    # The violation names REG-CONVERGE, so it does not count against REG-READ-LATEST.
    assert verdicts == {"REG-CONVERGE": "fail", "REG-READ-LATEST": "pass", "REG-REPLICA-PREFIX": "fail"}
    assert report["components"]["register"] == {
        "passed": 1,
        "failed": 2,
        "skipped": 0,
        "not applicable": 0,
        "xfailed": 0,
    }
    result.stdout.fnmatch_lines(["*kspec conformance*", "*fail*REG-CONVERGE*", "*pass*REG-READ-LATEST*"])
    markdown = (suite.path / "reports" / "conformance.md").read_text()
    assert "Result: **FAIL**" in markdown
    assert "never converged" in markdown
    junit = (suite.path / "junit.xml").read_text()
    assert 'name="kspec_requirements" value="REG-READ-LATEST,REG-CONVERGE"' in junit


def test_expected_failure_is_a_known_finding(suite: pytest.Pytester) -> None:
    suite.makepyfile(
        test_finding="""
        import pytest

        @pytest.mark.component("register")
        @pytest.mark.requirement("REG-CONVERGE")
        @pytest.mark.xfail(reason="docs/findings.md#1", strict=True)
        def test_peer_bug():
            assert False
        """
    )
    result = run(suite, "--impl", "fakeimpl:provides_register")
    assert result.ret == pytest.ExitCode.OK
    verdicts = {r["id"]: r["verdict"] for r in load_report(suite)["requirements"]}
    assert verdicts["REG-CONVERGE"] == "known finding"


def test_no_report_without_conformance_tests(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_plain="def test_plain(): pass")
    result = run(suite)
    assert result.ret == pytest.ExitCode.OK
    assert not (suite.path / "reports").exists()
    assert "kspec conformance" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--kspec-profile", "ci"], {}, "ci"),
        (["--kspec-profile", "deep"], {}, "deep"),
        ([], {"HYPOTHESIS_PROFILE": "ci"}, "ci"),
        ([], {"CI": "", "HYPOTHESIS_PROFILE": ""}, "dev"),
    ],
)
def test_profile_selection(
    suite: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    expected: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if "HYPOTHESIS_PROFILE" not in env:
        monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
    suite.makepyfile(
        test_profile=textwrap.dedent(
            f"""
            from hypothesis import settings

            def test_profile():
                assert settings.get_current_profile_name() == {expected!r}
            """
        )
    )
    assert run(suite, *args).ret == pytest.ExitCode.OK
