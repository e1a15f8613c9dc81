"""How many feasible nodes the scheduler looks for, and which scored node it picks.

What it models, from ``pkg/scheduler/schedule_one.go`` (kubernetes/kubernetes,
the stored version whose ``numFeasibleNodesToFind`` takes the profile's
``percentageOfNodesToScore`` pointer; older versions returned every node for
a percentage >= 100, which the newer formula also gives since validation
keeps the percentage in 0..100):

- ``numFeasibleNodesToFind``: below ``minFeasibleNodesToFind`` (100) nodes,
  all of them; otherwise the configured percentage, or when it is 0 the
  adaptive ``50 - nodes / 125`` with a floor of
  ``minFeasibleNodesPercentageToFind`` (5), of the nodes, but never fewer
  than 100 (``num_feasible_nodes_to_find``). The filters stop once that
  many feasible nodes are found, starting from a rotating index.
- ``selectHost``: the node with the highest total score; among equal
  totals upstream keeps each with probability 1/k while scanning (reservoir
  sampling). The spec leaves the choice among the tied nodes to the caller
  (``select_host``); ``reservoir_tie_break`` replays upstream's scan with a
  caller-supplied ``rand.Intn``.
- Binding down the ranked list: the seed (Control plane, steps 8-9) has the
  scheduler start "from the highest ranked node" and go "through the ranked
  list if the bound fails". ``ranked_nodes`` is that list: the selected
  host first, then the other scored nodes by total, highest first (equal
  totals in the order they were scored). Upstream instead forgets the
  assumed pod and requeues it on a bind failure
  (``schedule_one.go handleBindingCycleError``); the reference offers both.

- Through the API (``schedule_one.go``, ``handleSchedulingFailure``): a
  scheduler binds a pending pod of its ``schedulerName`` by posting a
  Binding, and marks one it cannot place with the condition
  ``PodScheduled=False`` reason ``Unschedulable``; a pod stays marked only
  while no node fits it (cluster events send it back to be tried again).

Requirement IDs defined here (component "scheduler"): SCHED-NODES-TO-SCORE,
SCHED-SELECT-TOP, SCHED-COMPLETE, SCHED-RANKED, SCHED-BIND-NEXT,
SCHED-API-PROGRESS.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from typing import Final

from spec.requirements import requirement

SCHED_NODES_TO_SCORE = requirement(
    "SCHED-NODES-TO-SCORE",
    "The scheduler MUST stop filtering once it has found all nodes (fewer than 100 nodes) or else "
    "nodes * pct / 100 feasible nodes but at least 100, pct being percentageOfNodesToScore or, when 0, "
    "max(5, 50 - nodes / 125).",
    component="scheduler",
    source="k/k pkg/scheduler/schedule_one.go numFeasibleNodesToFind",
)
SCHED_SELECT_TOP = requirement(
    "SCHED-SELECT-TOP",
    "The scheduler MUST bind a pod to a node with the highest total score among the scored nodes, "
    "choosing among equal totals (upstream: uniformly, by reservoir sampling).",
    component="scheduler",
    source="k/k pkg/scheduler/schedule_one.go selectHost",
)

SCHED_COMPLETE = requirement(
    "SCHED-COMPLETE",
    "The scheduler MUST NOT report a pod unschedulable while some node passes every filter for it, and "
    "MUST bind a pod only to a node that passes every filter.",
    component="scheduler",
    source="k/k pkg/scheduler/schedule_one.go schedulePod, findNodesThatFitPod",
)

SCHED_RANKED = requirement(
    "SCHED-RANKED",
    "A scheduler that gives its ranked list MUST list every scored node once, the selected node first "
    "and the others by total score, highest first.",
    component="scheduler",
    source='seed, Control plane, scheduler steps 8-9 ("starting from the highest ranked node")',
)
SCHED_BIND_NEXT = requirement(
    "SCHED-BIND-NEXT",
    "When binding a pod to a node fails, a scheduler in the seed's mode MUST try the next node of its "
    "ranked list, in order, and report the pod unbound only when every ranked node failed.",
    component="scheduler",
    source='seed, Control plane, scheduler steps 8-9 ("going through the ranked list if the bound fails"); '
    "upstream requeues instead: k/k pkg/scheduler/schedule_one.go handleBindingCycleError",
)

SCHED_API_PROGRESS = requirement(
    "SCHED-API-PROGRESS",
    "A scheduler attached to an API server MUST, within a bounded time, bind every pending pod of its "
    "schedulerName that some node fits and mark every other one PodScheduled=False with reason "
    "Unschedulable.",
    component="scheduler",
    source="k/k pkg/scheduler/schedule_one.go (scheduleOne, handleSchedulingFailure); "
    "pkg/scheduler/eventhandlers.go",
)
UNSCHEDULABLE_REASON: Final = "Unschedulable"

MIN_FEASIBLE_NODES_TO_FIND: Final = 100
MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: Final = 5
BASE_PERCENTAGE_OF_NODES_TO_SCORE: Final = 50


def _go_div(a: int, b: int) -> int:
    """Go's integer division, which truncates toward zero (the operands here are never negative)."""
    quotient = abs(a) // abs(b)
    return quotient if (a >= 0) == (b > 0) else -quotient


def adaptive_percentage(num_all_nodes: int) -> int:
    """``50 - nodes / 125``, at least 5: 10 % at 5000 nodes, the floor from 5625 nodes on."""
    return max(
        BASE_PERCENTAGE_OF_NODES_TO_SCORE - _go_div(num_all_nodes, 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND
    )


def num_feasible_nodes_to_find(percentage_of_nodes_to_score: int | None, num_all_nodes: int) -> int:
    """``numFeasibleNodesToFind``: how many feasible nodes the filters look for.

    ``percentage_of_nodes_to_score`` is the profile's (or the global) setting;
    None or 0 means the adaptive percentage.
    """
    if num_all_nodes < MIN_FEASIBLE_NODES_TO_FIND:
        return num_all_nodes
    percentage = percentage_of_nodes_to_score or 0
    if percentage == 0:
        percentage = adaptive_percentage(num_all_nodes)
    num_nodes = _go_div(num_all_nodes * percentage, 100)
    return max(num_nodes, MIN_FEASIBLE_NODES_TO_FIND)


#: Picks one of the tied top nodes (given in the scored order).
TieBreak = Callable[[Sequence[str]], str]


def top_nodes(scores: Mapping[str, int]) -> list[str]:
    """The nodes with the highest total, in the order of ``scores``."""
    if not scores:
        return []
    highest = max(scores.values())
    return [name for name, score in scores.items() if score == highest]


def select_host(scores: Mapping[str, int], tie_break: TieBreak) -> str:
    """``selectHost``: a node with the highest total; ``tie_break`` chooses among equal totals.

    Raises ValueError for no scores (upstream's "empty priorityList").
    """
    tied = top_nodes(scores)
    if not tied:
        raise ValueError("empty priorityList")
    if len(tied) == 1:
        return tied[0]
    chosen = tie_break(tied)
    if chosen not in tied:
        raise ValueError(f"tie break chose {chosen!r}, not one of the top nodes {tied}")
    return chosen


def reservoir_tie_break(intn: Callable[[int], int]) -> TieBreak:
    """Upstream's scan: the k-th tied node replaces the choice when ``intn(k) == 0``.

    ``intn(k)`` stands for Go's ``rand.Intn(k)`` (a number in 0..k-1); with a
    uniform source every tied node is chosen with probability 1/(number tied).
    """

    def choose(tied: Sequence[str]) -> str:
        selected = tied[0]
        for count, name in enumerate(tied[1:], start=2):
            if intn(count) == 0:
                selected = name
        return selected

    return choose


def ranked_nodes(scores: Mapping[str, int], selected: str) -> list[str]:
    """The seed's ranked list: ``selected`` first, then the other nodes by total, highest first.

    Equal totals keep the order of ``scores`` (the order the nodes were
    scored in). Raises ValueError if ``selected`` was not scored.
    """
    if selected not in scores:
        raise ValueError(f"{selected!r} is not among the scored nodes")
    others = [name for name in scores if name != selected]
    # sorted() is stable, so equal totals stay in scoring order.
    return [selected, *sorted(others, key=lambda name: -scores[name])]


def ranking_errors(ranked: Sequence[str], scores: Mapping[str, int], selected: str) -> list[str]:
    """Why ``ranked`` is not the ranked list of ``scores``, ``selected`` first (SCHED-RANKED), or []."""
    errors = []
    if not ranked or ranked[0] != selected:
        errors.append(f"the ranked list starts with {ranked[:1]}, not the selected node {selected!r}")
    if sorted(ranked) != sorted(scores):
        missing = sorted(set(scores) - set(ranked))
        extra = sorted(set(ranked) - set(scores))
        repeated = sorted({name for name in ranked if ranked.count(name) > 1})
        errors.append(
            f"the ranked list differs from the scored nodes: missing {missing}, "
            f"not scored {extra}, repeated {repeated}"
        )
    rest = [name for name in ranked[1:] if name in scores]
    for higher, lower in itertools.pairwise(rest):
        if scores[higher] < scores[lower]:
            errors.append(f"{higher} ({scores[higher]}) is ranked before {lower} ({scores[lower]})")
            break
    return errors


def bind_attempt_errors(attempts: Sequence[tuple[str, bool]], ranked: Sequence[str]) -> list[str]:
    """Why the bindings tried do not go down ``ranked`` as SCHED-BIND-NEXT asks; [] if they do.

    ``attempts`` is (node, succeeded) for every binding tried, in order. They
    must be the ranked list's first nodes in its order, stop at the first
    success, and stop early only on a success.
    """
    nodes = [node for node, _ in attempts]
    errors = []
    if nodes != list(ranked[: len(nodes)]):
        errors.append(f"tried {nodes}, but the ranked list begins {list(ranked[: len(nodes)])}")
    successes = [index for index, (_, ok) in enumerate(attempts) if ok]
    if successes and successes[0] != len(attempts) - 1:
        errors.append(f"went on binding after binding to {nodes[successes[0]]} succeeded")
    if not successes and len(attempts) < len(ranked):
        errors.append(f"gave up after {len(attempts)} failed binding(s) of {len(ranked)} ranked nodes")
    return errors
