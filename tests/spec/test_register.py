"""spec/register.py: the sequential register oracle, checked against a
brute-force search over every place an unknown write may take effect."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spec.register import RegisterModel, converged, is_prefix, replicas_are_prefixes

# A history: ("ok", v) acknowledged write, ("unknown", v) timed-out write, ("read", r).
Op = tuple[str, int | None]


@st.composite
def histories(draw: st.DrawFn) -> list[Op]:
    history: list[Op] = []
    written: list[int] = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["ok", "unknown", "read"]))
        if kind == "read":
            history.append(("read", draw(st.sampled_from([None, *written, 99]))))
        else:
            value = len(written) + 1  # writes are unique, as the suite makes them
            written.append(value)
            history.append((kind, value))
    return history


def model_accepts(history: list[Op]) -> bool:
    model = RegisterModel()
    for kind, value in history:
        if kind == "ok":
            assert value is not None
            model.write_acknowledged(value)
        elif kind == "unknown":
            assert value is not None
            model.write_unknown(value)
        else:
            if not model.read_allowed(value):
                return False
            model.read_observed(value)
    return True


def brute_force_accepts(history: list[Op]) -> bool:
    """Linearizability by search: before each operation, any pending unknown write may take effect."""
    states: set[tuple[int | None, frozenset[int]]] = {(None, frozenset())}
    for kind, value in history:
        closure = set(states)
        frontier = list(states)
        while frontier:
            _, pending = frontier.pop()
            for w in pending:
                nxt = (w, pending - {w})
                if nxt not in closure:
                    closure.add(nxt)
                    frontier.append(nxt)
        if kind == "ok":
            assert value is not None
            states = {(value, pending) for _, pending in closure}
        elif kind == "unknown":
            assert value is not None
            states = {(current, pending | {value}) for current, pending in closure}
        else:
            states = {(current, pending) for current, pending in closure if current == value}
        if not states:
            return False
    return True


@given(histories())
def test_model_agrees_with_brute_force_linearizability(history: list[Op]) -> None:
    assert model_accepts(history) == brute_force_accepts(history)


def test_known_bad_histories_are_rejected() -> None:
    assert not model_accepts([("ok", 1), ("ok", 2), ("read", 1)])  # stale read
    assert not model_accepts([("ok", 1), ("read", None)])  # lost write
    assert not model_accepts([("unknown", 1), ("read", 1), ("ok", 2), ("read", 1)])  # applied twice
    assert model_accepts([("ok", 1), ("unknown", 2), ("ok", 3), ("read", 2)])  # a late write


def test_prefix_predicates() -> None:
    assert is_prefix([1, 2], [1, 2, 3])
    assert not is_prefix([2], [1, 2])
    assert replicas_are_prefixes({"a": [1, 2, 3], "b": [1], "c": []})
    assert not replicas_are_prefixes({"a": [1, 2, 3], "b": [1, 3]})
    assert not replicas_are_prefixes({"a": [1, 2], "b": [1, 2, 2]})  # applied twice
    assert converged({"a": [1, 2], "b": [1, 2]}, [1, 2])
    assert not converged({"a": [1, 2], "b": [1]}, [1])
    assert not converged({"a": [1], "b": [1]}, [1, 2])
