"""How many valid objects per second the strategies of conformance/strategies/objects.py yield.

Measured the way the suite consumes them: a ``@given`` test whose body
only counts, run for ``--examples`` examples in Hypothesis' generate phase
(no shrinking, no example database, no deadline), timed with the wall
clock around the whole run. The figure therefore includes Hypothesis'
per-example engine work (choosing, recording and mutating choice
sequences), not only our builders -- which is what a stateful machine pays
per drawn object. ``strategy.example()`` is not used: it is meant for the
REPL, warns in code, and skips the engine. The target for Pods is 1,000/s
(issue 3, so that the machines are not starved).

Also printed: every kind mixed (``objects()``), reading/writing a Pod
with ``from_dict``/``to_dict``, validating a defaulted Pod, and invalid
Pods (``conformance/strategies/invalid.py``: a valid Pod, defaulted, one
mutation, read back). Nothing is asserted (DESIGN.md, "Running").

    python benchmarks/objects_strategies.py --examples 3000
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conformance.strategies.invalid import invalid_objects_of
from conformance.strategies.objects import objects, pods
from spec.objects import default, from_dict, to_dict
from spec.objects.core import Pod
from spec.objects.validation import validate


def generated_per_second(strategy: st.SearchStrategy[Any], examples: int) -> tuple[int, float]:
    """(examples run, examples per second) of a counting ``@given`` test over ``strategy``."""
    # Count, do not keep: holding thousands of objects would make the garbage collector's
    # passes, not generation, the cost being measured.
    seen = [0]

    @settings(
        max_examples=examples,
        phases=[Phase.generate],
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def count(value: Any) -> None:
        seen[0] += 1

    start = time.perf_counter()
    count()
    return seen[0], seen[0] / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--examples", type=int, default=3000, help="examples per strategy")
    args = parser.parse_args()

    print(f"python {platform.python_version()} on {platform.machine()}, {args.examples} examples per figure")
    count, rate = generated_per_second(pods(), args.examples)
    print(f"valid Pods generated:      {rate:>10,.0f} /s  ({count} examples)")
    count, rate = generated_per_second(objects(), args.examples)
    print(f"valid objects (any kind):  {rate:>10,.0f} /s  ({count} examples)")

    sample: list[dict[str, Any]] = []

    @settings(max_examples=200, phases=[Phase.generate], database=None, deadline=None)
    @given(pods())
    def collect(pod: Any) -> None:
        sample.append(to_dict(pod))

    collect()
    rounds = 20
    start = time.perf_counter()
    for _ in range(rounds):
        for written in sample:
            from_dict(written)
    read = rounds * len(sample) / (time.perf_counter() - start)
    parsed = [from_dict(written) for written in sample]
    start = time.perf_counter()
    for _ in range(rounds):
        for pod in parsed:
            to_dict(pod)
    write = rounds * len(parsed) / (time.perf_counter() - start)
    defaulted = [default(pod) for pod in parsed]
    start = time.perf_counter()
    for _ in range(rounds):
        for pod in defaulted:
            validate(pod)
    checked = rounds * len(defaulted) / (time.perf_counter() - start)
    print(f"Pods read (from_dict):     {read:>10,.0f} /s")
    print(f"Pods written (to_dict):    {write:>10,.0f} /s")
    print(f"Pods validated:            {checked:>10,.0f} /s")
    count, rate = generated_per_second(invalid_objects_of(Pod), args.examples // 3)
    print(f"invalid Pods generated:    {rate:>10,.0f} /s  ({count} examples)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
