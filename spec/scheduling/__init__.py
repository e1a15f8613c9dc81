"""The scheduler, as plain functions of a cluster snapshot.

- ``spec.scheduling.filters``: the per-node filter predicates of upstream's
  default profile (NodeUnschedulable, NodeName, TaintToleration,
  NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread,
  InterPodAffinity), each returning upstream's reason string, the "0/N nodes
  are available: ..." message, and placing pods one after another on a
  snapshot; the requirements SCHED-FILTER-* and SCHED-FEASIBLE-*.

- ``spec.scheduling.scores``: the default profile's Score plugins
  (NodeResourcesFit LeastAllocated, NodeResourcesBalancedAllocation,
  ImageLocality, TaintToleration, NodeAffinity, InterPodAffinity,
  PodTopologySpread), each normalized to 0..100, and the weighted total;
  the requirements SCHED-SCORE-*.
- ``spec.scheduling.framework``: how many feasible nodes to look for
  (``numFeasibleNodesToFind``) and picking the top-scored node
  (``selectHost``); SCHED-NODES-TO-SCORE and SCHED-SELECT-TOP.

- ``spec.scheduling.preemption``: the DefaultPreemption PostFilter (who may
  preempt, which nodes are candidates, the victims on a node with their
  reprieve, the node picked); SCHED-PREEMPT-*.

Issue 7 will add the rest of the framework (queue, extension points,
binding) on top of these.
``invariants.feasibility`` decides with Z3 whether a set of pending pods can
all be placed under these filters.
"""
