"""The ``scheduler`` contract: one scheduling decision for one pod on a cluster snapshot, in Kubernetes JSON.

A provider makes schedulers (``new_scheduler(seed)``); a scheduler keeps
whatever state it wants between decisions (upstream keeps the index where
the next search for feasible nodes starts). ``schedule(pod, snapshot)`` gets:

- ``pod``: a Pod as the API server returns it (``spec.nodeName`` empty);
- ``snapshot``: ``{"nodes": [Node, ...], "pods": [Pod, ...], "namespaces":
  {name: labels}}`` where every pod is bound (``spec.nodeName`` set) to one of
  the nodes, and namespaces not listed have no labels;

and answers a decision:

- ``{"nodeName": "node-3"}`` to bind the pod there, or
- ``{"nodeName": null, "message": "0/5 nodes are available: ...", "reasons":
  {"node-1": ["Insufficient cpu"], ...}}`` when no node fits;
- optionally ``"scoredNodes": [...]``: the feasible nodes it found and scored
  (upstream's ``ScheduleResult.FeasibleNodes`` as a list). When it is given
  the suite also checks how many nodes were examined and that the chosen
  node scored highest among them;
- for an unschedulable pod, optionally a preemption (upstream's
  DefaultPreemption PostFilter): ``"nominatedNodeName": "node-2", "victims":
  [{"namespace": "default", "name": "low-1"}, ...]`` with ``nodeName`` still
  null. Upstream nominates the node and deletes the victims; the pod is
  bound in a later cycle. The suite checks the nomination against
  spec/scheduling/preemption.py (SCHED-PREEMPT-*), deletes the victims from
  its cluster and asks again for the same pod, now carrying
  ``status.nominatedNodeName``: that decision must bind it (a node fits).

Priority is ``spec.priority`` (the suite sets it; resolving
``priorityClassName`` is out of scope) and ``spec.preemptionPolicy: Never``
forbids preempting. A provider with ``preemption = False`` declares that its
schedulers never preempt: the preemption suite is then reported not
applicable. A provider without the attribute is taken to preempt, like
upstream's default profile, and a scheduler that never nominates fails
SCHED-PREEMPT-COMPLETE.

The suite binds a chosen pod itself (adds it to the snapshot with
``spec.nodeName``) before the next decision: the contract is the algorithm,
not the API plumbing.

**Through the API** (optional: a provider that has ``attach``): the
scheduler runs against a real API server, as kube-scheduler does.
``attach(kubeconfig, scheduler_name)`` is a context manager; while it is
open the scheduler watches the API server of ``kubeconfig`` and, for every
pending pod whose ``spec.schedulerName`` is ``scheduler_name``, either binds
it (``POST pods/<name>/binding``) or marks it ``PodScheduled=False`` with
reason ``Unschedulable``. The suite (conformance/scheduler/
test_through_api.py) uses the implementation's own ``apiserver`` component
if it has one, else the reference API server, and creates nodes and pods
through the official client. A real kube-scheduler fits this contract with a
profile of that schedulerName and the kubeconfig.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

__all__ = ["APIAttachable", "Scheduler", "SchedulerProvider"]


@runtime_checkable
class Scheduler(Protocol):
    def schedule(self, pod: Mapping[str, Any], snapshot: Mapping[str, Any]) -> Mapping[str, Any]:
        """The decision for ``pod`` on ``snapshot`` (see the module docstring)."""
        ...


class SchedulerProvider(Protocol):
    #: True if decisions replay exactly from the seed.
    deterministic: bool
    #: percentageOfNodesToScore the schedulers use (0: upstream's adaptive default).
    percentage_of_nodes_to_score: int
    # Optional: ``preemption: bool``, whether the schedulers preempt (taken as True when absent).

    def new_scheduler(self, seed: int) -> Scheduler: ...


@runtime_checkable
class APIAttachable(Protocol):
    """A scheduler provider that can also run through an API server (see the module docstring)."""

    def attach(self, kubeconfig: Path, scheduler_name: str) -> AbstractContextManager[object]: ...
