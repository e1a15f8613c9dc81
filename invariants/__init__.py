"""Z3 encodings of the spec's invariants: proved for all inputs within stated
bounds, and checked on the concrete states the state machines reach.

``framework`` (Invariant, ProofResult, the registry), ``encoding`` (how spec
functions become Z3 terms, and back), ``intstr`` (int-or-percent values),
one module per area of the spec (``quorum``; ``deployment``,
``replicaset``, ``statefulset``, ``daemonset`` and ``job`` for the workload
controllers), and ``report`` behind
``python -m invariants``. It imports only ``spec``. See
``docs/invariants.md``.
"""
