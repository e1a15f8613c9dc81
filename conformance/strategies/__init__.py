"""Hypothesis strategies the suite's state machines draw from."""
