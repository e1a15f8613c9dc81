"""The workloads suite: controllers at work in a simulated cluster (one machine per workload kind)."""

#: The workload machines, by module name (conformance/workloads/<name>.py, each with ``machine_for``).
MACHINES = (
    "replicaset",
    "deployment",
    "statefulset",
    "daemonset",
    "job",
    "cronjob",
    "nodelifecycle",
    "endpointslice",
    "leaderelection",
)
