"""The reference implementation: sans-IO cores and their two drivers.

Each component (Raft, etcd, the API server, the scheduler, the controllers)
is a sans-IO core that takes messages, ticks and the current time and returns
what to persist, send and apply. Two drivers run the same cores: the
deterministic simulator (``impl.sim``), where one seed or Hypothesis' draws
decide every delay, fault and timeout, and the real runtime (asyncio, HTTP,
OS processes, files with fsync) that serves real clients.
"""
