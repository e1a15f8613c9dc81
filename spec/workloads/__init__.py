"""Workload controllers as pure step functions: what one reconcile does to the numbers it manages.

- ``spec.workloads.deployment``: the RollingUpdate strategy of the Deployment
  controller (maxSurge/maxUnavailable resolution, new and old ReplicaSet
  scaling, completeness) and the requirements DEPLOY-ROLL-SURGE,
  DEPLOY-ROLL-AVAILABILITY and DEPLOY-ROLL-PROGRESS.
- ``spec.workloads.replicaset``: one ``manageReplicas`` of the ReplicaSet
  controller (burstReplicas, slow-start batches) and the requirements
  REPLICASET-CONVERGE and REPLICASET-SLOW-START.

``invariants.deployment`` and ``invariants.replicaset`` prove the
requirements with Z3.
"""
