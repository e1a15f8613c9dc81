"""The one source of nondeterminism: a contract and its seeded stream.

Every choice a deterministic run makes (message latency, drop, duplication,
reordering, a process's election timeout) is drawn from an ``Entropy``, so a
run is a pure function of its entropy: FoundationDB's simulator and
TigerBeetle's VOPR both rest on this (one seed reproduces the whole run).

The simulator (impl/sim) and the suite (conformance) must agree on this
contract without importing each other, so it lives here (DESIGN.md: what two
packages need belongs in spec). An ``Entropy`` is passed explicitly; nothing
here touches the global ``random`` module or the clock.

- ``SeededEntropy(seed)``: a ``random.Random`` seeded with an integer. The
  same seed gives the same stream on every run, machine and
  ``PYTHONHASHSEED``.
- ``conformance.strategies.entropy.HypothesisEntropy``: the first choices
  are Hypothesis draws (they explore and shrink), the rest come from a
  ``SeededEntropy`` whose seed was drawn.

``fork(label)`` gives a sub-stream, used for each process incarnation and for
the network, so that one component drawing more does not shift the choices
another one sees (easier to read when comparing two traces).

Draws that shrink towards 0 should mean "nothing unusual happens": the
simulator flips a coin of probability ``p`` as ``random() >= 1 - p`` and
samples latencies with ``randint(min, max)``, so Hypothesis' shrinking
towards small values removes faults and shortens delays.
"""

from __future__ import annotations

import hashlib
import random as _random
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

# Spans up to 2**32 are sampled as int(random() * span): one C call instead of
# random.Random.randint's Python-level rejection loop. The bias is below
# span / 2**53, i.e. under 2**-21 relative, far below anything a test could
# observe.
_FAST_SPAN = 1 << 32


@runtime_checkable
class Entropy(Protocol):
    """A deterministic stream of choices."""

    def random(self) -> float:
        """A float in [0, 1)."""
        ...

    def randint(self, a: int, b: int) -> int:
        """An integer in [a, b], both inclusive."""
        ...

    def choice(self, seq: Sequence[T]) -> T:
        """One element of a non-empty sequence."""
        ...

    def fork(self, label: str) -> Entropy:
        """An independent deterministic stream identified by ``label``."""
        ...


def check_range(a: int, b: int) -> None:
    if a > b:
        raise ValueError(f"randint({a}, {b}): empty range, a must be <= b")


def derive_seed(seed: int, label: str) -> int:
    """A 64-bit child seed from a parent seed and a label.

    ``hash(label)`` would differ between interpreter runs (string hashing is
    salted per process), so the derivation uses BLAKE2b.
    """
    digest = hashlib.blake2b(f"{seed}\x00{label}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


class SeededEntropy:
    """A ``random.Random`` stream reproducible from one non-negative integer."""

    __slots__ = ("_rng", "random", "seed")

    random: Callable[[], float]

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an int, got {type(seed).__name__}")
        if seed < 0:
            # random.Random(-n) is the same stream as random.Random(n).
            raise ValueError(f"seed must be >= 0, got {seed}")
        self.seed = seed
        self._rng = _random.Random(seed)
        # Bound C method stored on the instance: the simulator's hot path
        # calls it for every coin flip, and this saves a Python frame.
        self.random = self._rng.random

    def randint(self, a: int, b: int) -> int:
        span = b - a + 1
        if 0 < span <= _FAST_SPAN:
            return a + int(self.random() * span)
        check_range(a, b)
        return self._rng.randint(a, b)

    def choice(self, seq: Sequence[T]) -> T:
        if not seq:
            raise IndexError("choice from an empty sequence")
        return seq[self.randint(0, len(seq) - 1)]

    def fork(self, label: str) -> SeededEntropy:
        # A pure function of (seed, label): forking the same label twice gives
        # the same stream, so callers give every stream its own label.
        return SeededEntropy(derive_seed(self.seed, label))

    def __repr__(self) -> str:
        return f"SeededEntropy({self.seed})"
