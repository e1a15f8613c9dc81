"""Reproductions of what the suite found against pysyncobj (docs/findings.md),
each an expected failure that names its finding, so that the conformance
report of ``--impl pysyncobj`` shows the requirement as ``known finding``.

They are conformance tests (``component`` and ``requirement`` marks), run by
``tox -e pysyncobj``; against any other implementation they are not
applicable. Linux only: they read /proc/net/tcp.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.adapters import Implementation
from conformance.violation import RequirementViolation, require
from impl.peers.pysyncobj import PySyncObjCluster, PySyncObjProvider
from spec.raft import LIVENESS_ELECTION_TIMEOUTS, RAFT_LIVENESS, agreed_leader

pytestmark = pytest.mark.component("consensus")

SYN_SENT = "02"  # the state column of /proc/net/tcp
#: Resume the paused member when the stuck connect's next SYN is at least this far off.
QUIET_AHEAD_S = 8.0


def next_syn_to(port: int) -> float | None:
    """Seconds until the kernel resends the SYN of a connect to ``port`` that is still waiting
    for an answer (/proc/net/tcp's retransmit timer), or None if no connect to it is waiting."""
    tick = os.sysconf("SC_CLK_TCK")
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[3] == SYN_SENT and int(fields[2].rsplit(":", 1)[1], 16) == port:
                return int(fields[5].split(":")[1], 16) / tick
    return None


def pysyncobj_provider(implementation: Implementation) -> PySyncObjProvider:
    provider = implementation.component("consensus")
    if not isinstance(provider, PySyncObjProvider):
        pytest.skip(f"not applicable: a reproduction against pysyncobj, not {implementation.name!r}")
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp to see the stuck connect")
    return provider


def wait_for(seconds: float, probe: Callable[[], object]) -> float | None:
    """Seconds until ``probe()`` is truthy, or None after ``seconds``."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if probe():
            return time.monotonic() - began
        time.sleep(0.02)
    return None


@pytest.mark.requirement("RAFT-LIVENESS")
@pytest.mark.xfail(
    reason="docs/findings.md#pysyncobj-1: a connect that a stalled peer's full accept queue ignored "
    "never times out, so two live members stay apart until the kernel's next SYN retransmission",
    raises=RequirementViolation,
    strict=True,
)
def test_two_members_elect_a_leader_soon_after_one_of_them_was_paused(
    kspec_implementation: Implementation,
) -> None:
    provider = pysyncobj_provider(kspec_implementation)
    cluster: PySyncObjCluster = provider.new_cluster(size=3)
    try:
        assert wait_for(30, lambda: agreed_leader(cluster.status())) is not None
        # pysyncobj connects from the greater address to the lesser, so every
        # other member connects to `low`, and `high` connects to it.
        low, middle, high = sorted(cluster.members(), key=lambda m: cluster.addresses[m])
        port = int(cluster.addresses[low].rsplit(":", 1)[1])
        cluster.crash(middle)  # `low` and `high` are a bare majority: they must talk to each other
        cluster.pause(low)  # SIGSTOP: the kernel still queues connections for it, up to its backlog
        # `high` finds each connection silent after connectionTimeout and connects again, until
        # `low`'s accept queue is full and the kernel ignores its SYN.
        # The kernel resends an unanswered SYN after growing intervals (1 s, 2 s, 4 s, ...;
        # on newer kernels the first few are 1 s apart): wait for one at least QUIET_AHEAD_S off.
        quiet = wait_for(120, lambda: (next_syn_to(port) or 0) > QUIET_AHEAD_S)
        assert quiet is not None, f"no connect to {low} stayed unanswered with a long backoff in 120 s"
        cluster.resume(low)
        # Both are up and the network is fine: RAFT-LIVENESS asks for a leader both follow
        # within LIVENESS_ELECTION_TIMEOUTS election timeouts.
        bound = LIVENESS_ELECTION_TIMEOUTS * provider.election_timeout_ns / 1e9
        elected = wait_for(bound, lambda: agreed_leader(cluster.status()))
        require(
            RAFT_LIVENESS,
            elected is not None,
            lambda: (
                f"{low} and {high} were up, the network healed, and no leader both follow emerged "
                f"within {bound:g} s of resuming {low}\n\n{cluster.timeline(40)}"
            ),
        )
    finally:
        cluster.close()
