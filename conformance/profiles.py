"""Hypothesis profiles of the suite (DESIGN.md, "The suite").

``dev``: fast feedback while writing code. ``ci``: derandomized, so a merge
gate gives the same verdict on every run, with enough examples to gate and
``print_blob`` so a failure can be replayed anywhere. ``deep``: long runs that
keep the example database, for HypoFuzz-style soaking over all cores.
Simulated runs take variable wall time, so no profile sets a deadline.

A real (wall-clock) adapter spends real seconds on every step, so
``for_wall_clock`` scales the loaded profile down for it: a tenth of the
examples (at least ``WALL_CLOCK_MIN_EXAMPLES``), at most
``WALL_CLOCK_STEPS`` steps each, and the failing example's blob always
printed. It does not shrink: a real run does not replay exactly, and when a
shrink attempt shares the failing run's opening steps but not its failure,
Hypothesis reports ``FlakyStrategyDefinition`` ("inconsistent data
generation") in place of the failure it found, losing the violation and its
history. Unshrunk, the first failure is reported as it happened (alone, or
inside a ``FlakyFailure`` if its final replay passes).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILES = ("dev", "ci", "deep")


def register_profiles() -> None:
    settings.register_profile("dev", max_examples=25, deadline=None)
    settings.register_profile(
        "ci",
        max_examples=100,
        deadline=None,
        derandomize=True,
        print_blob=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        "deep",
        max_examples=2000,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def choose_profile(option: str | None) -> str:
    """``--kspec-profile``, else $HYPOTHESIS_PROFILE, else ``ci`` under CI and ``dev`` elsewhere."""
    name = option or os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
    if name not in PROFILES:
        raise ValueError(f"unknown Hypothesis profile {name!r}; choose one of {', '.join(PROFILES)}")
    return name


WALL_CLOCK_EXAMPLE_DIVISOR = 10
WALL_CLOCK_MIN_EXAMPLES = 3
WALL_CLOCK_STEPS = 25


def for_wall_clock(base: settings) -> settings:
    """``base`` (the loaded profile) for an adapter that runs on wall-clock time."""
    return settings(
        base,
        max_examples=max(WALL_CLOCK_MIN_EXAMPLES, base.max_examples // WALL_CLOCK_EXAMPLE_DIVISOR),
        stateful_step_count=min(base.stateful_step_count, WALL_CLOCK_STEPS),
        deadline=None,
        print_blob=True,
        phases=[phase for phase in base.phases if phase != Phase.shrink],
        report_multiple_bugs=False,
        suppress_health_check=[*base.suppress_health_check, HealthCheck.too_slow],
    )


def settings_for(provider: object) -> settings | None:
    """The settings a test of ``provider`` runs with: None (the loaded profile) for a simulated
    provider, ``for_wall_clock`` of it for one that says it is not deterministic."""
    return None if getattr(provider, "deterministic", True) else for_wall_clock(settings.default)
