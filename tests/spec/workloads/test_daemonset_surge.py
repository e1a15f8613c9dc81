"""The DaemonSet rolling update with surge in spec/workloads/daemonset.py: ``rolling_update_surge``,
``pods_should_be_on_node(..., surge=True)``, the budgets and validation, and ``surge_violations`` (the
check the machine applies) against rollouts driven by the spec's own steps and against known-bad steps.

Upstream: k/k pkg/controller/daemon/update.go (rollingUpdate), daemon_controller.go (podsShouldBeOnNode),
util/daemonset_util.go (SurgeCount, AllowsSurge), pkg/apis/apps/validation (ValidateRollingUpdateDaemonSet).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spec.workloads.daemonset as ds
from spec.workloads.daemonset import DaemonPod, DaemonSetSync, NodeEligibility, UpdatePod

pytestmark = pytest.mark.requirement("DAEMONSET-ROLL-SURGE")


def _old(node: str, available: bool = True) -> UpdatePod:
    return UpdatePod(f"old-{node}", node, updated=False, available=available)


def _new(node: str, available: bool = False) -> UpdatePod:
    return UpdatePod(f"new-{node}", node, updated=True, available=available)


def test_budgets_round_up_and_default() -> None:
    assert ds.max_surge_of(None, 3) == 0
    assert ds.max_surge_of("50%", 3) == 2  # rounded up
    assert ds.updated_desired_node_counts(1, 0, 3) == (1, 0)
    assert ds.updated_desired_node_counts(0, 0, 3) == (0, 1)  # both 0: maxUnavailable 1
    assert ds.updated_desired_node_counts(0, 0, 0) == (0, 0)
    assert ds.allows_surge("1%") and not ds.allows_surge(0) and not ds.allows_surge(None)


def test_validation_forbids_both_zero_and_both_set() -> None:
    assert ds.rolling_update_strategy_errors(1, 0) == []
    assert ds.rolling_update_strategy_errors("50%", "0%") == []
    assert ds.rolling_update_strategy_errors(None, None) == []
    assert ds.rolling_update_strategy_errors(0, 0)
    assert ds.rolling_update_strategy_errors(1, None)  # maxUnavailable defaults to 1
    assert ds.rolling_update_strategy_errors(1, 1)
    assert ds.rolling_update_strategy_errors("101%", 0)
    assert ds.rolling_update_strategy_errors(-1, 0)


def test_surge_within_max_surge() -> None:
    nodes = ["n0", "n1", "n2", "n3"]
    olds = [_old(n) for n in nodes]
    assert ds.rolling_update_surge(olds, nodes, 1, 4) == DaemonSetSync(("n0",), ())
    assert ds.rolling_update_surge(olds, nodes, 2, 4) == DaemonSetSync(("n0", "n1"), ())
    # A surge in progress (a current pod not yet available) uses the budget.
    starting = [*olds, _new("n0")]
    assert ds.rolling_update_surge(starting, nodes, 1, 4) == DaemonSetSync((), ())
    assert ds.rolling_update_surge(starting, nodes, 2, 4) == DaemonSetSync(("n1",), ())
    # Once available the old pod goes and the next node surges in the same sync.
    ready = [*olds, _new("n0", available=True)]
    assert ds.rolling_update_surge(ready, nodes, 1, 4) == DaemonSetSync(("n1",), ("old-n0",))
    # An unavailable old pod is replaced at once, beyond maxSurge.
    sick = [_old("n0", available=False), *olds[1:]]
    assert ds.rolling_update_surge(sick, nodes, 1, 4) == DaemonSetSync(("n0", "n1"), ())
    # A terminating pod is not looked at; excess pods count as a surge in progress.
    dup = [*olds, UpdatePod("old2-n0", "n0", updated=False, available=True)]
    assert ds.rolling_update_surge(dup, nodes, 1, 4) == DaemonSetSync((), ())


def test_nodes_that_should_not_run_lose_old_pods_only_beyond_desired() -> None:
    # n2 should no longer run a pod: its available old pod goes only once more nodes are available than
    # desired; an unavailable one goes at once.
    pods = [_new("n0", available=True), _new("n1", available=True), _old("n2")]
    assert ds.rolling_update_surge(pods, ["n0", "n1"], 1, 2) == DaemonSetSync((), ("old-n2",))
    assert ds.rolling_update_surge(pods, ["n0", "n1", "n3"], 1, 3) == DaemonSetSync((), ())
    pods[2] = _old("n2", available=False)
    assert ds.rolling_update_surge(pods, ["n0", "n1", "n3"], 1, 3) == DaemonSetSync((), ("old-n2",))


def test_pods_should_be_on_node_with_surge() -> None:
    old = DaemonPod("o", "n", created=1, updated=False, available=True)
    new = DaemonPod("c", "n", created=2, updated=True, available=False)
    assert ds.pods_should_be_on_node(True, True, [old, new], surge=True) == (False, [])
    assert ds.pods_should_be_on_node(True, True, [old, new]) == (False, ["c"])  # no surge: the oldest
    ready = DaemonPod("c", "n", created=2, updated=True, available=True)
    assert ds.pods_should_be_on_node(True, True, [old, ready], surge=True) == (False, ["o"])
    sick = DaemonPod("o", "n", created=1, updated=False, available=False)
    assert ds.pods_should_be_on_node(True, True, [sick, new], surge=True) == (False, ["o"])
    extra = DaemonPod("c2", "n", created=3, updated=True)
    assert ds.pods_should_be_on_node(True, True, [old, new, extra], surge=True) == (False, ["c2"])
    gone = DaemonPod("o", "n", terminating=True)
    assert ds.pods_should_be_on_node(True, True, [gone], surge=True) == (True, [])
    assert ds.pods_should_be_on_node(True, True, [gone]) == (False, [])


def test_a_surge_on_a_node_that_left_the_rollout_is_undone() -> None:
    # The node was tainted NoSchedule after its surge pod was created: the pod may never be scheduled, the
    # old one may continue, so the new one goes (upstream keeps both for good; see the docstring).
    old = DaemonPod("o", "n", created=1, updated=False, available=True)
    new = DaemonPod("c", "n", created=2, updated=True, available=False)
    assert ds.pods_should_be_on_node(False, True, [old, new], surge=True) == (False, ["c"])
    # Once the new pod is available, or the old one is not, the old one goes as on any node.
    ready = DaemonPod("c", "n", created=2, updated=True, available=True)
    assert ds.pods_should_be_on_node(False, True, [old, ready], surge=True) == (False, ["o"])
    sick = DaemonPod("o", "n", created=1, updated=False, available=False)
    assert ds.pods_should_be_on_node(False, True, [sick, new], surge=True) == (False, ["o"])
    # The rolling update then leaves the node's old pod alone until other nodes make up for it.
    assert ds.rolling_update_surge([_old("n")], [], 1, 0) == DaemonSetSync((), ("old-n",))
    assert ds.rolling_update_surge([_old("n")], ["m"], 1, 1) == DaemonSetSync((), ())


# -- rollouts driven by the spec's steps ------------------------------------------------------------

Step = Callable[[Sequence[UpdatePod], Sequence[str], int, int], DaemonSetSync]


def _roll(
    step: Step, nodes: int, max_surge: int, ready_order: list[int], sick: set[int]
) -> tuple[list[str], list[UpdatePod]]:
    """A rollout over ``nodes`` eligible nodes, each with one old pod (those in ``sick`` unavailable): each
    round a sync (the spec's ``manage`` with surge, then ``step`` when manage made no call), then one of the
    current pods not yet available becomes so (picked by ``ready_order``). Returns the problems
    ``surge_violations`` found after any round, and the pods at the end."""
    names = [f"n{i}" for i in range(nodes)]
    pods = [_old(n, available=i not in sick) for i, n in enumerate(names)]
    covered = [n for i, n in enumerate(names) if i not in sick]
    problems: list[str] = []
    made = 0
    for r in range(6 * nodes + 6):
        daemon = [
            DaemonPod(p.name, p.node, created=i, updated=p.updated, available=p.available)
            for i, p in enumerate(pods)
        ]
        done = ds.manage([NodeEligibility(n, True, True) for n in names], daemon, surge=True)
        if not (done.creations or done.deletions):
            done = step(pods, names, max_surge, nodes)
        pods = [p for p in pods if p.name not in done.deletions]
        for node in done.creations:
            made += 1
            pods.append(UpdatePod(f"new{made}-{node}", node, updated=True, available=False))
        problems += ds.surge_violations(covered, pods, max_surge)
        waiting = [i for i, p in enumerate(pods) if p.updated and not p.available]
        if waiting:
            i = waiting[ready_order[r % len(ready_order)] % len(waiting)]
            pods[i] = UpdatePod(pods[i].name, pods[i].node, True, True)
    return problems, pods


_ROLLOUTS = dict(
    nodes=st.integers(1, 5),
    max_surge=st.integers(1, 3),
    ready_order=st.lists(st.integers(0, 4), min_size=1, max_size=6),
    sick=st.sets(st.integers(0, 4), max_size=2),
)


@settings(max_examples=60, deadline=None)
@given(**_ROLLOUTS)
def test_a_surge_rollout_keeps_the_bound_and_completes(
    nodes: int, max_surge: int, ready_order: list[int], sick: set[int]
) -> None:
    problems, pods = _roll(ds.rolling_update_surge, nodes, max_surge, ready_order, sick)
    assert problems == []
    assert sorted(p.node for p in pods) == [f"n{i}" for i in range(nodes)]
    assert all(p.updated and p.available for p in pods)


def _ignores_max_surge(
    pods: Sequence[UpdatePod], nodes: Sequence[str], max_surge: int, d: int
) -> DaemonSetSync:
    return ds.rolling_update_surge(pods, nodes, len(nodes), d)


def _deletes_before_available(
    pods: Sequence[UpdatePod], nodes: Sequence[str], max_surge: int, d: int
) -> DaemonSetSync:
    done = ds.rolling_update_surge(pods, nodes, max_surge, d)
    early = tuple(p.name for p in pods if not p.updated and p.node in done.creations)
    return DaemonSetSync(done.creations, done.deletions + early)


@pytest.mark.parametrize("bad", [_ignores_max_surge, _deletes_before_available])
def test_surge_violations_rejects_bad_steps(bad: Step) -> None:
    problems, _ = _roll(bad, 3, 1, [0], set())
    assert problems, "a bad surge step went unnoticed"


def test_surge_violations_on_known_states() -> None:
    assert ds.surge_violations(["n0", "n1"], [_old("n0"), _new("n0"), _old("n1")], 1) == []
    assert ds.surge_violations(["n0", "n1"], [_old("n0"), _new("n0"), _old("n1"), _new("n1")], 1)
    assert ds.surge_violations(["n0"], [_new("n0")], 1)  # no available pod on a covered node
    assert ds.surge_violations(["n0"], [_old("n0"), _old("n0"), _new("n0")], 2)
