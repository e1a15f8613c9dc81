"""The reference replicated register: the first end-to-end slice.

A fixed leader orders writes, persists them, replicates them to followers
and acknowledges a write once a majority holds it. ``core`` is the sans-IO
state machine; ``adapter`` runs it in the simulator behind the suite's
``register`` contract. The Consensus issue replaces it with Raft.
"""
