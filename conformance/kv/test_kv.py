"""The kv suite against ``--impl``'s kv component.

The first test compares one client's every answer with the sequential model
and checks every watch it opened (``conformance/kv/machine.py``). A provider
that is not deterministic runs on wall-clock time with fewer, shorter
examples (``conformance.profiles.settings_for``).
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from conformance.adapters import Implementation
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
