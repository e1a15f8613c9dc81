"""Hypothesis-driven entropy for deterministic adapters (``spec.entropy.Entropy``).

Every random choice a simulated run makes (message delay, drop, election
timeout) becomes a Hypothesis draw, so a failing run replays exactly and
shrinks towards simpler schedules. Hypothesis bounds how much one example may
draw, and a simulation can make tens of thousands of choices, so only the
first ``max_draws`` choices are Hypothesis' own; the rest come from a
``SeededEntropy`` whose seed is itself drawn, which still replays exactly.
"""

from __future__ import annotations

import random as _random
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from spec.entropy import SeededEntropy, check_range

T = TypeVar("T")

#: Enough for the opening of a run, where most interesting interleavings are
#: decided, small enough to stay under Hypothesis' limit on how much one
#: example may draw.
DEFAULT_MAX_DRAWS = 1000


class _DataObject(Protocol):
    """What ``HypothesisEntropy`` needs of ``hypothesis.strategies.data()``."""

    def draw(self, strategy: st.SearchStrategy[Any], label: Any = None) -> Any: ...


class _Budget:
    """Hypothesis-driven choices shared by a ``HypothesisEntropy`` and its forks."""

    __slots__ = ("driven", "remaining")

    def __init__(self, driven: _random.Random, remaining: int) -> None:
        self.driven = driven
        self.remaining = remaining


class HypothesisEntropy:
    """Choices drawn from Hypothesis for the first ``max_draws``, then seeded.

    ``data`` is the object ``hypothesis.strategies.data()`` gives a test. At
    construction this draws two values: a Hypothesis-driven ``Random`` (each
    later call on it is a quiet draw Hypothesis can shrink; quiet because a
    falsifying example would otherwise list thousands of draws) and the seed
    of the fallback stream.

    Forks share the budget of ``max_draws`` with their parent: the simulation
    calls its streams in a deterministic order, so one shared budget replays
    exactly and is spent on the run's opening whichever component draws. Once
    it is spent each fork continues on its own ``SeededEntropy``, forked
    from the fallback with the same label.

    Only use it while the Hypothesis test that drew ``data`` is running.
    """

    __slots__ = ("_budget", "_fallback", "label")

    def __init__(self, data: _DataObject, *, max_draws: int = DEFAULT_MAX_DRAWS) -> None:
        if isinstance(max_draws, bool) or not isinstance(max_draws, int) or max_draws < 0:
            raise ValueError(f"max_draws must be an int >= 0, got {max_draws!r}")
        driven = data.draw(
            st.randoms(note_method_calls=False, use_true_random=False), label="simulation entropy"
        )
        seed = data.draw(st.integers(min_value=0, max_value=2**64 - 1), label="fallback seed")
        self._budget = _Budget(driven, max_draws)
        self._fallback = SeededEntropy(seed)
        self.label = ""

    @classmethod
    def _child(cls, budget: _Budget, fallback: SeededEntropy, label: str) -> HypothesisEntropy:
        child = cls.__new__(cls)
        child._budget = budget
        child._fallback = fallback
        child.label = label
        return child

    @property
    def remaining_draws(self) -> int:
        """How many more choices Hypothesis will make (shared with forks)."""
        return self._budget.remaining

    @property
    def fallback_seed(self) -> int:
        """The seed of this stream's fallback ``SeededEntropy``."""
        return self._fallback.seed

    def _take(self) -> bool:
        budget = self._budget
        if budget.remaining > 0:
            budget.remaining -= 1
            return True
        return False

    def random(self) -> float:
        if self._take():
            return self._budget.driven.random()
        return self._fallback.random()

    def randint(self, a: int, b: int) -> int:
        check_range(a, b)
        if self._take():
            return self._budget.driven.randint(a, b)
        return self._fallback.randint(a, b)

    def choice(self, seq: Sequence[T]) -> T:
        if not seq:
            raise IndexError("choice from an empty sequence")
        return seq[self.randint(0, len(seq) - 1)]

    def fork(self, label: str) -> HypothesisEntropy:
        return HypothesisEntropy._child(self._budget, self._fallback.fork(label), label)

    def __repr__(self) -> str:
        return (
            f"HypothesisEntropy(label={self.label!r}, remaining_draws={self._budget.remaining}, "
            f"fallback_seed={self._fallback.seed})"
        )


@st.composite
def entropies(draw: st.DrawFn, max_draws: int = DEFAULT_MAX_DRAWS) -> HypothesisEntropy:
    """A ``HypothesisEntropy`` for a state machine's ``@initialize`` rule."""

    class _Drawer:
        def draw(self, strategy: st.SearchStrategy[Any], label: Any = None) -> Any:
            return draw(strategy)

    return HypothesisEntropy(_Drawer(), max_draws=max_draws)
