"""The environment's rules, shared by every workload machine: what happens to the cluster, not what users do.

- the controller manager crashes and comes back after ``down_s`` (its
  caches, queues and expectations are lost);
- it crashes mid-reconcile: after 0 to 3 more writes, in the middle of
  whatever sync it is in (Sieve's intermediate states), and comes back;
- the controllers' pod watch lags by 0, 1 or 3 s (a stale cache);
- simulated time passes.

A machine subclasses ``EnvironmentRules`` and sets ``self.cluster`` and
``self.log`` in its ``__init__``. Every rule lets time pass through
``pass_time``: a machine that keeps its own clock (the CronJob one) overrides
it.
"""

from __future__ import annotations

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


def long_run_settings(provider: object) -> settings:
    """The settings of a long-running machine: the loaded profile's, examples capped unless deep."""
    base = settings_for(provider) or settings.default
    if base.max_examples > 100:  # deep (2000): soak it
        return base
    return settings(base, max_examples=min(base.max_examples, LONG_RUN_EXAMPLES))


class EnvironmentRules(RuleBasedStateMachine):
    cluster: SimulatedControlPlane
    log: list[str]

    def pass_time(self, seconds: float) -> None:
        self.cluster.run(seconds)

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
        self.log.append(f"pod watch lag {lag_s} s")

    @rule(seconds=st.sampled_from([0.25, 1.0, 3.0]))
    def time_passes(self, seconds: float) -> None:
        self.pass_time(seconds)
        self.log.append(f"{seconds} s pass")
