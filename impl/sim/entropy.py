"""The simulation's one source of randomness: ``spec.entropy``'s contract and
seeded stream, re-exported so simulator code and its users import them from
one place. Nothing in ``impl.sim`` touches the global ``random`` module or
the clock; Hypothesis-driven entropy is the suite's
(``conformance.strategies.entropy``).
"""

from spec.entropy import Entropy, SeededEntropy, derive_seed

__all__ = ["Entropy", "SeededEntropy", "derive_seed"]
