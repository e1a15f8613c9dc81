"""The kv suite: the single-client machine against ``--impl``'s kv component.

Two tests, so the report says what was checked: the first compares every
answer (and the store after every write) with spec/kv.py's; the second adds
watches and checks every stream against spec/kv_watch.py's guarantees. Both
run clusters of 1 and 3 members. A provider that is not deterministic (real
etcd) runs on wall-clock time with fewer, shorter examples
(``conformance.profiles.settings_for``).
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
    "KV-REV-MONOTONIC",
    "KV-REV-ONE-PER-TXN",
    "KV-READ-LATEST",
    "KV-READ-REVISION",
    "KV-RANGE-SEMANTICS",
    "KV-VERSION-COUNTS",
    "KV-PUT-OPTIONS",
    "KV-REQUEST-ERRORS",
    "KV-TXN-ATOMIC",
    "KV-TXN-COMPARE",
    "KV-TXN-DUPLICATE-KEY",
    "KV-TXN-MAX-OPS",
    "KV-COMPACT-ERRORS",
    "KV-LEASE-GRANT",
    "KV-LEASE-ATTACH",
    "KV-LEASE-REVOKE-ATOMIC",
    "KV-LEASE-EXPIRY",
    "KV-LEASE-QUERIES",
)
def test_kv_answers_are_the_models(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("kv")
    run_state_machine_as_test(
        machine_for(provider, families=frozenset({"kv"})), settings=settings_for(provider)
    )


@pytest.mark.requirement(
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
def test_kv_watch_guarantees(kspec_implementation: Implementation) -> None:
    provider = kspec_implementation.component("kv")
    run_state_machine_as_test(
        machine_for(provider, families=frozenset({"kv", "watch"})), settings=settings_for(provider)
    )


@pytest.mark.requirement("KV-READ-LATEST")
def test_clients_under_faults_see_a_linearizable_store(kspec_implementation: Implementation) -> None:
    """Clients on different members, crashes and partitions: their history must be linearizable
    (conformance/kv/clients.py)."""
    provider = kspec_implementation.component("kv")

    @given(size=st.sampled_from([1, 3, 5]), seed=st.integers(0, 2**32 - 1), schedule=schedules)
    def clients_and_nemesis(size: int, seed: int, schedule: list[Step]) -> None:
        check_client_history(provider, size, seed, schedule)

    wall_clock = settings_for(provider)
    (wall_clock(clients_and_nemesis) if wall_clock else clients_and_nemesis)()
