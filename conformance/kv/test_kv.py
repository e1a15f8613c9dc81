"""The kv suite against ``--impl``'s kv component.

The first test compares one client's every answer with the sequential model
and checks every watch it opened (``conformance/kv/machine.py``); the second
runs clients on different members under faults and checks their history for
linearizability (``conformance/kv/clients.py``). A provider
that is not deterministic runs on wall-clock time with fewer, shorter
examples (``conformance.profiles.settings_for``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
from conformance.kv.clients import Step, check_client_history, schedules
from conformance.kv.machine import machine_for
from conformance.profiles import settings_for

pytestmark = pytest.mark.component("kv")


@pytest.mark.requirement(
    "KV-READ-LATEST",
    "KV-REV-ONE-PER-TXN",
    "KV-REQUEST-ERRORS",
    "KV-RANGE-SEMANTICS",
    "KV-VERSION-COUNTS",
    "KV-TXN-ATOMIC",
    "KV-LEASE-REVOKE-ATOMIC",
    "KV-COMPACT-ERRORS",
    "KV-LEASE-GRANT",
    "KV-LEASE-QUERIES",
    "KV-WATCH-ORDERED",
    "KV-WATCH-UNIQUE",
    "KV-WATCH-ATOMIC",
    "KV-WATCH-BOOKMARKABLE",
    "KV-WATCH-RELIABLE",
    "KV-WATCH-RESUMABLE",
    "KV-WATCH-ISCREATE",
    "KV-WATCH-PREVKV",
    "KV-WATCH-FILTER",
    "KV-WATCH-COMPACTED",
)
def test_one_client_sees_the_models_answers_and_watches_keep_their_guarantees(
    kspec_implementation: Implementation,
) -> None:
    provider = kspec_implementation.component("kv")
    run_state_machine_as_test(machine_for(provider), settings=settings_for(provider))


@pytest.mark.requirement("KV-READ-LATEST")
def test_clients_under_faults_see_a_linearizable_store(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("kv")

    @given(size=st.sampled_from([1, 3, 5]), seed=st.integers(0, 2**32 - 1), schedule=schedules)
    def clients_and_nemesis(size: int, seed: int, schedule: list[Step]) -> None:
        check_client_history(provider, size, seed, schedule)

    wall_clock = settings_for(provider)
    (wall_clock(clients_and_nemesis) if wall_clock else clients_and_nemesis)()
