"""Workload controllers as pure step functions: what one reconcile does to the numbers it manages.

- ``spec.workloads.deployment``: the RollingUpdate strategy of the Deployment
  controller (maxSurge/maxUnavailable resolution, new and old ReplicaSet
  scaling, completeness) and the requirements DEPLOY-ROLL-SURGE,
  DEPLOY-ROLL-AVAILABILITY and DEPLOY-ROLL-PROGRESS.
- ``spec.workloads.replicaset``: one ``manageReplicas`` of the ReplicaSet
  controller (burstReplicas, slow-start batches) and the requirements
  REPLICASET-CONVERGE and REPLICASET-SLOW-START.

- ``spec.workloads.statefulset``: one ``updateStatefulSet`` (OrderedReady and
  Parallel pod management) and STATEFULSET-ORDERED-CREATE,
  STATEFULSET-ORDERED-DELETE, STATEFULSET-CONVERGE.
- ``spec.workloads.daemonset``: node eligibility (taints, automatic
  tolerations, selectors) and one ``manage``; DAEMONSET-COVERAGE and
  DAEMONSET-TOLERATIONS.
- ``spec.workloads.job``: one ``syncJob`` of a NonIndexed Job; JOB-ACTIVE-BOUND,
  JOB-COMPLETIONS-BOUND, JOB-BACKOFF-LIMIT.

The modules of the same names in ``invariants`` prove the requirements with
Z3.
"""
