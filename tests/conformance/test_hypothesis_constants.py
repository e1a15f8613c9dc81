"""Hypothesis' pool of source constants is pinned (conformance/hypothesis_constants.py): a derandomized test
draws the same values whichever local modules the process imported before it.

The control half runs the same check on Hypothesis' own pool and requires the draws to differ, so the
check can fail: importing a module with constants in the strategy's range changes what is drawn.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers

from conformance import hypothesis_constants
from conformance.hypothesis_constants import project_constants
from spec.workloads.daemonset import BURST_REPLICAS

LOW = 10**9
#: Constants only the new module holds, all within the drawn range.
MODULE = "VALUES = (" + ", ".join(str(LOW + 7 * i) for i in range(1, 200)) + ")\n"


def _draws() -> list[int]:
    seen: list[int] = []

    @settings(derandomize=True, max_examples=200, database=None, phases=[Phase.generate], deadline=None)
    @given(st.integers(LOW, LOW + 2000))
    def draw(value: int) -> None:
        seen.append(value)

    draw()
    return seen


@pytest.fixture
def new_local_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A module outside the standard library and site-packages (a "local" one to Hypothesis), not yet
    imported; its name."""
    name = f"kspec_constants_probe_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


def test_the_plugin_pins_the_pool_to_the_spec_and_the_suite() -> None:
    assert providers._get_local_constants is project_constants
    assert BURST_REPLICAS in project_constants().integers  # a boundary the spec states


def test_imports_do_not_change_what_a_derandomized_test_draws(new_local_module: str) -> None:
    before = _draws()
    importlib.import_module(new_local_module)
    assert _draws() == before
    assert not any(LOW + 7 * i in project_constants().integers for i in range(1, 200))


def test_control_hypothesis_own_pool_changes_the_draws(
    new_local_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert hypothesis_constants.hypothesis_pool is not None
    monkeypatch.setattr(providers, "_get_local_constants", hypothesis_constants.hypothesis_pool)
    providers.CONSTANTS_CACHE.cache.clear()
    before = _draws()
    importlib.import_module(new_local_module)
    after = _draws()
    providers.CONSTANTS_CACHE.cache.clear()
    assert after != before
    assert any(value in after for value in (LOW + 7 * i for i in range(1, 200)))
