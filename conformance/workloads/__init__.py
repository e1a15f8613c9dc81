"""The workloads suite: controllers at work in a simulated cluster (one machine per workload kind)."""
