"""The scheduler, as plain functions of a cluster snapshot.

- ``spec.scheduling.filters``: the per-node filter predicates of upstream's
  default profile (NodeUnschedulable, NodeName, TaintToleration,
  NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread,
  InterPodAffinity), each returning upstream's reason string, the "0/N nodes
  are available: ..." message, and placing pods one after another on a
  snapshot; the requirements SCHED-FILTER-* and SCHED-FEASIBLE-*.

Issue 7 will add the scores, the number of nodes to examine and the
framework (queue, extension points, binding) on top of these filters.
``invariants.feasibility`` decides with Z3 whether a set of pending pods can
all be placed under these filters.
"""
