"""Hypothesis profiles of the suite (DESIGN.md, "The suite").

``dev``: fast feedback while writing code. ``ci``: derandomized, so a merge
gate gives the same verdict on every run, with enough examples to gate and
``print_blob`` so a failure can be replayed anywhere. ``deep``: long runs that
keep the example database, for HypoFuzz-style soaking over all cores.
Simulated runs take variable wall time, so no profile sets a deadline.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
