"""Conformance suite of the ``register`` component (the first end-to-end slice)."""
