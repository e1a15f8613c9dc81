"""API validation: accepts every valid object, reports the broken field of every invalid one.

Properties over generated objects (``conformance.strategies.objects`` for
valid ones, ``conformance.strategies.invalid`` for one targeted mutation
each), the broken-manifest corpus with the exact problems each file must
produce, and upstream's wording of errors and of the 422 Status.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import event, given

from conformance.strategies.invalid import (
    MUTATIONS,
    InvalidObject,
    describe,
    invalid_objects_of,
    mutations_for,
)
from conformance.strategies.objects import objects_of
from spec.objects import KINDS, KindModel, check_manifests, default, from_dict
from spec.objects.validation import ErrorType, invalid_status, validate

ROOT = Path(__file__).resolve().parents[3]
BROKEN = ROOT / "examples" / "broken-manifests"
CORPUS = ROOT / "examples" / "manifests"
KIND_MODELS = [info.model for info in KINDS]


@pytest.mark.parametrize(
    "kind", KIND_MODELS, ids=[info.model.__module__.split(".")[-1] + "." + info.kind for info in KINDS]
)
def test_validation_accepts_every_generated_valid_object(kind: type[KindModel]) -> None:
    @given(objects_of(kind))
    def check(obj: KindModel) -> None:
        assert validate(default(obj)) == []

    check()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[mutation.name for mutation in MUTATIONS])
def test_validation_reports_the_field_each_mutation_breaks(mutation: object) -> None:
    from hypothesis import strategies as st

    assert mutation in MUTATIONS
    strategy = st.one_of([invalid_objects_of(kind, mutation) for kind in mutation.kinds])  # type: ignore[attr-defined]

    @given(strategy)
    def check(invalid: InvalidObject) -> None:
        event(type(invalid.obj).__name__)
        assert validate(invalid.original) == [], "the object before the mutation must be valid"
        reported = [error.field for error in validate(invalid.obj)]
        assert invalid.path in reported, f"{describe(invalid)}; reported {reported}"

    check()


def test_every_kind_has_mutations_and_every_mutation_applies_somewhere() -> None:
    assert all(mutations_for(info.model) for info in KINDS)
    assert all(mutation.kinds for mutation in MUTATIONS)
    assert len(MUTATIONS) >= 40


# -- the corpora --------------------------------------------------------------------------------------

EXPECTED: dict[str, list[str]] = yaml.safe_load((BROKEN / "expected.yaml").read_text())
BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))


def test_the_broken_corpus_lists_every_file_and_nothing_else() -> None:
    assert sorted(EXPECTED) == sorted(path.name for path in BROKEN_FILES if path.name != "expected.yaml")
    assert len(EXPECTED) >= 12


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_broken_manifest_reports_exactly_the_expected_fields(name: str) -> None:
    problems = check_manifests((BROKEN / name).read_text())
    reported = sorted(f"{problem.document} {problem.path}" for problem in problems)
    assert reported == sorted(EXPECTED[name])
    assert all(problem.line is not None and problem.line > 1 for problem in problems)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yaml")), ids=lambda path: path.name)
def test_every_manifest_of_the_corpus_validates(path: Path) -> None:
    assert check_manifests(path.read_text()) == []


def test_kspec_validate_prints_each_problem_and_exits_1(tmp_path: Path) -> None:
    def run(*files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kspec", "validate", *map(str, files)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    good = run(*sorted(CORPUS.glob("*.yaml")))
    assert (good.returncode, good.stdout) == (0, ""), good.stderr
    bad = run(BROKEN / "service-ports.yaml", tmp_path / "missing.yaml")
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert len(lines) == 4
    assert lines[2].endswith(
        "service-ports.yaml: document 0, line 14: spec.ports[1].port: "
        "Invalid value: 70000: must be between 1 and 65535, inclusive"
    )
    assert "missing.yaml: cannot read" in bad.stderr
    assert "5 problem(s) in 2 file(s)" in bad.stderr


# -- upstream's wording ------------------------------------------------------------------------------

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {
        "replicas": -1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx"}, {"name": "web", "image": ""}]},
        },
    },
}


def test_errors_read_as_upstream_prints_them() -> None:
    errors = validate(default(from_dict(DEPLOYMENT)))
    assert [str(error) for error in errors] == [
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
        "spec.template.spec.containers[1].image: Required value",
        'spec.template.spec.containers[1].name: Duplicate value: "web"',
    ]
    assert [error.type for error in errors] == [ErrorType.INVALID, ErrorType.REQUIRED, ErrorType.DUPLICATE]


def test_the_invalid_status_is_a_422_with_one_cause_per_error() -> None:
    obj = default(from_dict(DEPLOYMENT))
    status = invalid_status(obj, validate(obj))
    assert status["code"] == 422
    assert status["reason"] == "Invalid"
    assert status["message"] == (
        'Deployment.apps "web" is invalid: ['
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0, "
        "spec.template.spec.containers[1].image: Required value, "
        'spec.template.spec.containers[1].name: Duplicate value: "web"]'
    )
    assert status["details"]["group"] == "apps"
    assert status["details"]["causes"][0] == {
        "reason": "FieldValueInvalid",
        "message": "Invalid value: -1: must be greater than or equal to 0",
        "field": "spec.replicas",
    }
    json.dumps(status)  # a Status is JSON


def test_a_core_kind_has_no_group_and_one_error_is_not_bracketed() -> None:
    pod = default(
        from_dict(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "p", "namespace": "default"},
                "spec": {"containers": [{"name": "c"}]},
            }
        )
    )
    status = invalid_status(pod, validate(pod))
    assert status["message"] == 'Pod "p" is invalid: spec.containers[0].image: Required value'
    assert "group" not in status["details"]


def test_validation_never_raises_and_reports_every_problem_of_an_empty_object() -> None:
    for info in KINDS:
        errors = validate(info.model())
        if info.model.kind != "Binding":
            assert "metadata.name" in [error.field for error in errors], info.kind
    assert validate(from_dict({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "p"}})) != []


def test_the_mutation_property_fails_when_validation_misses_a_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    # A validation that forgot the replicas rule must be caught by the "negative replicas" mutation.
    from spec.objects.validation import meta, workloads

    (negative_replicas,) = [mutation for mutation in MUTATIONS if mutation.name == "negative replicas"]
    original = meta.nonnegative

    def forgetful(value: int | None, path: meta.Path) -> list[meta.FieldError]:
        return [] if str(path) == "spec.replicas" else original(value, path)

    monkeypatch.setattr(workloads.m, "nonnegative", forgetful)
    with pytest.raises(AssertionError, match=r"negative replicas: expected an error at spec\.replicas"):
        test_validation_reports_the_field_each_mutation_breaks(negative_replicas)
