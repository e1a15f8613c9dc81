"""The environment's rules, shared by every workload machine: what happens to the cluster, not what users do.

- the controller manager crashes and comes back after ``down_s`` (its
  caches, queues and expectations are lost);
- it crashes mid-reconcile: after 0 to 3 more writes, in the middle of
  whatever sync it is in (Sieve's intermediate states), and comes back;
- the controllers' pod watch lags by 0, 1 or 3 s (a stale cache);
- simulated time passes.

A controller decides on its caches, which show the API as it was up to a
watch's lag ago. A machine judges a decision against what the controller
could have seen: ``StatesSeen`` keeps what the machine read at its checks
for as long as a lagging cache may still show it, and a decision is wrong
only if it is wrong against every one of those states. Machines that need
it check every ``CHECK_EVERY_S`` simulated seconds while time passes
(``pass_time_checking``), the reference cluster's tick.

A machine subclasses ``EnvironmentRules`` and sets ``self.cluster`` and
``self.log`` in its ``__init__``. Every rule lets time pass through
``pass_time``: a machine that keeps its own clock (the CronJob one) overrides
it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from conformance.adapters.controllers import SimulatedControlPlane
from conformance.profiles import settings_for

PODS = "/api/v1/pods"

#: Machines whose every run spans minutes of simulated time (EndpointSlice, CronJob, node lifecycle)
#: take at most this many examples under ``dev`` and ``ci``, to keep the CI run within its budget;
#: ``deep`` gives them all of its own. Their seeded-bug tests (tests/controllers/) run fixed settings.
LONG_RUN_EXAMPLES = 30


#: How often a machine that judges decisions against recent states checks while time passes: the reference
#: cluster's tick, which is also how often a lagging watch hands its held events to the controllers.
CHECK_EVERY_S = 0.25

State = TypeVar("State")


class StatesSeen(Generic[State]):
    """The states a machine read at its checks, each with its simulated time, kept while a lagging
    cache may still show them."""

    def __init__(self) -> None:
        self.entries: deque[tuple[float, State]] = deque()

    def add(self, time: float, state: State) -> None:
        self.entries.append((time, state))

    def since(self, time: float) -> list[tuple[float, State]]:
        """The states read at ``time`` or later, and the last one before it (it held until the next
        check, so at ``time`` too); older ones are dropped for good."""
        while len(self.entries) > 1 and self.entries[1][0] <= time:
            self.entries.popleft()
        return list(self.entries)


def long_run_settings(provider: object) -> settings:
    """The settings of a long-running machine: the loaded profile's, examples capped unless deep."""
    base = settings_for(provider) or settings.default
    if base.max_examples > 100:  # deep (2000): soak it
        return base
    return settings(base, max_examples=min(base.max_examples, LONG_RUN_EXAMPLES))


class EnvironmentRules(RuleBasedStateMachine):
    cluster: SimulatedControlPlane
    log: list[str]
    #: The pod watch's lag now: the controllers' pod cache shows the API as it was at most this long ago
    #: (plus a tick), which is what a machine judges a controller's decision against.
    pod_watch_lag_s: float = 0.0

    def pass_time(self, seconds: float) -> None:
        self.cluster.run(seconds)

    def pass_time_checking(self, seconds: float, check: Callable[[], None]) -> None:
        """Let ``seconds`` pass with ``check`` after every ``CHECK_EVERY_S``: a decision is then judged
        against the states around it, not against one read seconds later."""
        end = self.cluster.now + seconds
        while self.cluster.now < end - 1e-9:
            self.cluster.run(min(CHECK_EVERY_S, end - self.cluster.now))
            check()

    def seen_by_controllers_since(self, previous_check: float) -> float:
        """The oldest time whose pods a controller may have decided on since ``previous_check``: the pod
        watch's lag and a check interval before it."""
        return previous_check - self.pod_watch_lag_s - CHECK_EVERY_S

    @rule(down_s=st.sampled_from([0.0, 0.5, 2.0]))
    def crash_the_controller_manager(self, down_s: float) -> None:
        self.cluster.crash_controller_manager()
        self.pass_time(down_s)
        self.cluster.restart_controller_manager()
        self.log.append(f"controller manager down for {down_s} s")

    @rule(writes=st.integers(0, 3), down_s=st.sampled_from([0.0, 2.0]))
    def crash_the_controller_manager_mid_reconcile(self, writes: int, down_s: float) -> None:
        self.cluster.crash_controller_manager_mid_reconcile(writes)
        self.pass_time(1.0)  # it dies at its next write past ``writes``, if it has that many to make
        self.cluster.crash_controller_manager()  # and if not, now, between two syncs
        self.pass_time(down_s)
        self.cluster.restart_controller_manager()
        self.log.append(f"controller manager crashed after at most {writes} writes, down for {down_s} s")

    @rule(lag_s=st.sampled_from([0.0, 1.0, 3.0]))
    def lag_the_pod_watch(self, lag_s: float) -> None:
        self.cluster.set_watch_lag(PODS, lag_s)
        self.pod_watch_lag_s = lag_s
        self.log.append(f"pod watch lag {lag_s} s")

    @rule(seconds=st.sampled_from([0.25, 1.0, 3.0]))
    def time_passes(self, seconds: float) -> None:
        self.pass_time(seconds)
        self.log.append(f"{seconds} s pass")
