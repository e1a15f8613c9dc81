"""One pool of source constants for Hypothesis, whatever the process has imported.

Hypothesis now and then draws a constant it found in the source of the
"local" modules loaded in the process (not the standard library, not
site-packages): its local constants, ``_get_local_constants`` in
``hypothesis.internal.conjecture.providers``. The pool grows as modules are
imported, so what a derandomized test draws depends on which tests ran
before it in the same process, and under pytest-xdist that depends on the
workers' timing. Issue 10 met it: the DaemonSet machine's reference run
drew a failing example in a full ``tests/controllers`` run and not when run
alone, so a merge gate could turn red or green by scheduling.

``pin_local_constants`` replaces the pool with a fixed one: the constants
in the source of ``spec/``, ``invariants/`` and ``conformance/`` (the
boundary values the specification and the suite know, such as 500 for a
sync's burst or 100 endpoints per slice), read from the files in path
order. The pool is the same for every implementation plugged in and every
choice of tests, so ``ci`` runs draw the same examples. It uses two private
names of Hypothesis; if they go, pinning says so (returns False) and
``tests/conformance/test_hypothesis_constants.py`` fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The packages whose constants make the pool, relative to the project root.
PACKAGES = ("spec", "invariants", "conformance")
ROOT = Path(__file__).resolve().parent.parent
#: Hypothesis' own ``_get_local_constants``, once pinned (tests use it as a control).
hypothesis_pool: Callable[[], Any] | None = None


@functools.cache
def project_constants() -> Any:
    """The constants Hypothesis would find in the source of ``PACKAGES``, as its own ``Constants``."""
    from hypothesis.internal.constants_ast import Constants, _constants_from_source

    pool = Constants()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            try:
                pool |= _constants_from_source(path.read_bytes(), limit=True)
            except Exception:  # what Hypothesis does too: a module it cannot read adds nothing
                continue
    return pool


def pin_local_constants() -> bool:
    """Make Hypothesis draw its local constants from ``project_constants()`` alone, from now on in this
    process. Returns False (and changes nothing) if this Hypothesis has no local-constants pool to pin."""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:
        return False
    if not callable(getattr(providers, "_get_local_constants", None)):
        return False
    global hypothesis_pool
    if providers._get_local_constants is not project_constants:
        hypothesis_pool = providers._get_local_constants
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if cache is not None:  # values already filtered from the old pool, per choice type and bounds
        cache.cache.clear()
    providers._get_local_constants = project_constants
    return True
