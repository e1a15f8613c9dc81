"""kspec's executable specification: WHAT must hold.

Pure Python only: object model, sequential models (oracles), desired-state
and step functions, and the requirement registry. Nothing here does I/O,
reads a clock, starts a thread or uses global randomness, and nothing here
imports ``impl``, ``invariants`` or ``conformance`` (../DESIGN.md).
"""
