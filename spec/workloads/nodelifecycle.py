"""Node lifecycle: when a node's Ready condition goes Unknown, which NoExecute taints it carries, and when
the taint-eviction controller deletes a pod on it.

What it models, as step functions on numbers and tolerations:

- **Health** (``ready_after_probe``): the controller keeps, per node, the
  time it last *observed* a health signal, a new Lease ``renewTime`` in
  ``kube-node-lease/<node>`` (or a change of the Ready condition); once
  ``node-monitor-grace-period`` has passed since then, the node's Ready
  condition (and MemoryPressure, DiskPressure, PIDPressure) becomes
  ``Unknown`` (reason ``NodeStatusUnknown``). The grace period is 50 s, the
  default since v1.32 (40 s before; kubernetes/kubernetes#126287); that is
  the value used here. The kubelet's Lease lasts 40 s and is renewed every
  10 s. The longer ``node-startup-grace-period`` for a node never seen
  healthy is left out: the simulated kubelets renew at registration.
- **Taints** (``noexecute_taints``): Ready ``Unknown`` means
  ``node.kubernetes.io/unreachable:NoExecute``, Ready ``False``
  ``node.kubernetes.io/not-ready:NoExecute``, Ready ``True`` neither
  (``doNoExecuteTaintingPass``, ``markNodeAsReachable``). The NoSchedule
  taints of the same keys follow the same conditions (``doNoScheduleTaintingPass``,
  TaintNodesByCondition). When every node of the cluster is not Ready the
  controller enters "master disruption mode" (``handleDisruption``): it removes
  the NoExecute taints of every node and taints none, so that a control plane
  cut off from all its nodes does not evict everything. Zones are one zone
  here (the simulated nodes carry no zone label); with one zone partial
  disruption needs more than 2 not-Ready nodes and at least 55 % of them, and
  then stops tainting in clusters of at most 50 nodes; the rate limiter of
  tainting (0.1 node/s) is left out: both only delay a taint.
- **Eviction** (``eviction_delay``): a pod on a node with NoExecute taints
  is deleted at once if one of them is not tolerated; otherwise after the
  smallest ``tolerationSeconds`` of the tolerations that tolerate them
  (negative counts as 0), counted from when the taint manager first saw the
  pod on the tainted node; never if each of those tolerations has no
  ``tolerationSeconds``. DefaultTolerationSeconds admission (spec/admission.py)
  gives every pod 300 s for both keys unless it says otherwise.

Upstream (kubernetes/kubernetes, read at master):

- ``pkg/controller/nodelifecycle/node_lifecycle_controller.go``:
  ``tryUpdateNodeHealth`` (probeTimestamp, Unknown after gracePeriod),
  ``doNoExecuteTaintingPass``, ``handleDisruption``, ``ComputeZoneState``,
  ``markNodeAsReachable``, ``processPod`` (``MarkPodsNotReady``).
- ``pkg/controller/tainteviction/taint_eviction.go``: ``processPodOnNode``,
  ``getMinTolerationTime``; ``cmd/kube-controller-manager/app/options``
  (``NodeMonitorGracePeriod`` 50 s).

Requirements defined here (component "controllers"):

- NODE-LIFECYCLE-READY-UNKNOWN: a node whose Lease has not been renewed for
  longer than the grace period is reported Ready=Unknown, and only then.
- NODE-LIFECYCLE-UNREACHABLE-TAINT: the NoExecute taints a node carries are
  those of its Ready condition (outside master disruption mode).
- NODE-LIFECYCLE-NO-EARLY-EVICTION: no pod is evicted before its node's
  last Lease renewal + grace period + the pod's toleration time.
- NODE-LIFECYCLE-EVICT-AFTER-TOLERATION: a pod whose toleration time runs
  out on a tainted node is evicted; pods that tolerate forever stay.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from spec.objects.core import Taint, Toleration
from spec.requirements import requirement
from spec.scheduling.corev1 import tolerates

#: ``--node-monitor-grace-period``, the default since v1.32 (40 s before).
NODE_MONITOR_GRACE_PERIOD_S: Final = 50.0
#: ``--node-monitor-period``: how often the controller looks at node health.
NODE_MONITOR_PERIOD_S: Final = 5.0
#: The kubelet's Lease: duration and renewal interval.
LEASE_DURATION_S: Final = 40
LEASE_RENEW_INTERVAL_S: Final = 10.0
NODE_LEASE_NAMESPACE: Final = "kube-node-lease"

TAINT_UNREACHABLE: Final = "node.kubernetes.io/unreachable"
TAINT_NOT_READY: Final = "node.kubernetes.io/not-ready"
#: Ready condition status -> the taint key it calls for (``nodeConditionToTaintKeyStatusMap``).
TAINT_FOR_READY: Final = {"Unknown": TAINT_UNREACHABLE, "False": TAINT_NOT_READY}

_UPSTREAM = (
    "k/k pkg/controller/nodelifecycle/node_lifecycle_controller.go (tryUpdateNodeHealth, "
    "doNoExecuteTaintingPass, handleDisruption, markNodeAsReachable)"
)
_EVICTION = "k/k pkg/controller/tainteviction/taint_eviction.go (processPodOnNode, getMinTolerationTime)"

NODE_LIFECYCLE_READY_UNKNOWN = requirement(
    "NODE-LIFECYCLE-READY-UNKNOWN",
    "The node lifecycle controller MUST set a node's Ready condition to Unknown once its Lease in "
    "kube-node-lease has not been renewed for longer than node-monitor-grace-period (50 s), and MUST NOT "
    "do so while the Lease is renewed within that period.",
    component="controllers",
    source=_UPSTREAM,
)
NODE_LIFECYCLE_UNREACHABLE_TAINT = requirement(
    "NODE-LIFECYCLE-UNREACHABLE-TAINT",
    "The node lifecycle controller MUST taint a node whose Ready condition is Unknown with "
    "node.kubernetes.io/unreachable:NoExecute and one whose Ready is False with "
    "node.kubernetes.io/not-ready:NoExecute, and MUST remove those taints once it is Ready again; when no "
    "node is Ready (master disruption mode) it MUST leave every node without them.",
    component="controllers",
    source=_UPSTREAM,
)
NODE_LIFECYCLE_NO_EARLY_EVICTION = requirement(
    "NODE-LIFECYCLE-NO-EARLY-EVICTION",
    "A pod MUST NOT be evicted from its node before node-monitor-grace-period plus the smallest "
    "tolerationSeconds of its tolerations of the node's NoExecute taints has passed since the node's "
    "Lease was last renewed, and never while it tolerates them without tolerationSeconds.",
    component="controllers",
    source=_EVICTION + "; " + _UPSTREAM,
)
NODE_LIFECYCLE_EVICT_AFTER_TOLERATION = requirement(
    "NODE-LIFECYCLE-EVICT-AFTER-TOLERATION",
    "A pod on a node tainted NoExecute MUST be deleted at once when it does not tolerate the taint, and "
    "within a bounded time after the smallest tolerationSeconds of the tolerations that tolerate it has "
    "passed; a ReplicaSet's evicted pods MUST be replaced on Ready nodes.",
    component="controllers",
    source=_EVICTION,
)


def ready_after_probe(
    ready: str, last_probe: float, now: float, grace_period_s: float = NODE_MONITOR_GRACE_PERIOD_S
) -> str:
    """The Ready status the controller leaves: ``Unknown`` once the grace period has passed since the
    last health signal it observed (``tryUpdateNodeHealth``), else whatever the kubelet posted."""
    if now > last_probe + grace_period_s:
        return "Unknown"
    return ready


def noexecute_taints(ready: str, all_not_ready: bool) -> frozenset[str]:
    """The keys of the NoExecute taints a node with this Ready status carries once the controller has
    acted; ``all_not_ready``: no node of the cluster is Ready (master disruption mode: none)."""
    if all_not_ready or ready not in TAINT_FOR_READY:
        return frozenset()
    return frozenset({TAINT_FOR_READY[ready]})


def eviction_delay(tolerations: Sequence[Toleration], taints: Iterable[Taint]) -> float | None:
    """How long after the taint manager sees the pod on a node with ``taints`` it deletes it: 0 when a
    NoExecute taint is not tolerated, the smallest tolerationSeconds of the tolerations used (negative
    is 0), None (never) when no NoExecute taint is there or all are tolerated forever."""
    used: list[Toleration] = []
    for taint in taints:
        if taint.effect != "NoExecute":
            continue
        matching = [t for t in tolerations if tolerates(t, taint)]
        if not matching:
            return 0.0
        used.extend(matching)
    if not used:
        return None
    finite = [t.toleration_seconds for t in used if t.toleration_seconds is not None]
    if not finite:
        return None
    return float(max(0, min(finite)))


def earliest_eviction(last_renewal: float, delay: float | None) -> float | None:
    """NODE-LIFECYCLE-NO-EARLY-EVICTION: the earliest time a pod may be evicted from a node whose Lease
    was last renewed at ``last_renewal``, with the pod's ``eviction_delay`` for the taint the node will
    carry (None: never). The controller's own observation of the renewal is never earlier."""
    if delay is None:
        return None
    return last_renewal + NODE_MONITOR_GRACE_PERIOD_S + delay
