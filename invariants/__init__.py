"""Z3 encodings of the spec's invariants: proved for all inputs within stated
bounds, and checked on the concrete states the state machines reach.

Empty until the invariants issue lands; it imports only ``spec``.
"""
