"""Finding the requirement a failure violated (conformance/violation.py), however the failure is wrapped."""

from __future__ import annotations

from conformance.violation import RequirementViolation, violated_requirements
from spec.apiserver import API_CREATE, API_GC_ORPHAN


def test_violations_are_found_alone_in_groups_and_under_errors_raised_while_handling_them() -> None:
    alone = RequirementViolation(API_CREATE, "x")
    assert violated_requirements(alone) == ("API-CREATE",)
    group = BaseExceptionGroup("two", [alone, RequirementViolation(API_GC_ORPHAN, "y")])
    assert violated_requirements(group) == ("API-CREATE", "API-GC-ORPHAN")
    try:
        try:
            raise RequirementViolation(API_GC_ORPHAN, "found")
        except RequirementViolation:
            raise RuntimeError("the replay went differently") from None  # as Hypothesis' Flaky errors
    except RuntimeError as flaky:
        # ``from None`` hides the context from tracebacks but keeps it on the exception.
        assert violated_requirements(flaky) == ("API-GC-ORPHAN",)
    assert violated_requirements(ValueError("unrelated")) == ()
