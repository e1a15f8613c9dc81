"""Adapters to implementations nobody here wrote (pysyncobj; real etcd later).

Like ``impl.reference``, an adapter satisfies the suite's contracts in
``conformance/adapters/`` structurally and imports only ``spec``, never the
suite. Each runs its peer for real, on wall-clock time, on loopback ports
and in a temporary directory, and cleans up every process, thread and port
it starts. What a peer gets wrong goes to ``docs/findings.md``.
"""
