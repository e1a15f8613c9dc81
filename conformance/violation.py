"""Failures that name the requirement they violate.

A state machine checks several requirements at once; when one fails, the
report should fail that requirement, not every requirement the test is
tagged with. ``require`` raises a ``RequirementViolation`` (an
AssertionError, so pytest and Hypothesis treat it as a test failure) that
carries the ID; the plugin reads it from the failing test's exception.
"""

from __future__ import annotations

from collections.abc import Callable

from spec.requirements import Requirement


class RequirementViolation(AssertionError):
    def __init__(self, requirement: Requirement, detail: str) -> None:
        super().__init__(f"{requirement.id} violated: {requirement.statement}\n{detail}")
        self.requirement_id = requirement.id


def require(requirement: Requirement, holds: bool, detail: Callable[[], str]) -> None:
    """Raise a ``RequirementViolation`` unless ``holds``; ``detail`` is built only on failure."""
    if not holds:
        raise RequirementViolation(requirement, detail())


def violated_requirements(exc: BaseException) -> tuple[str, ...]:
    """The requirement IDs carried by ``exc`` or, for an exception group, by its members.

    An error raised while a violation was being handled carries it too: on
    wall-clock runs Hypothesis may answer a violation with a Flaky error when
    replaying the failing example does not go the same way (its __context__
    is the violation).
    """
    if isinstance(exc, RequirementViolation):
        return (exc.requirement_id,)
    if isinstance(exc, BaseExceptionGroup):
        found: list[str] = []
        for inner in exc.exceptions:
            found += [rid for rid in violated_requirements(inner) if rid not in found]
        if found:
            return tuple(found)
    if exc.__context__ is not None and exc.__context__ is not exc:
        return violated_requirements(exc.__context__)
    return ()
