"""The workload machines' simulated clusters do not depend on ``PYTHONHASHSEED`` (DESIGN.md: same seed, same
trace, byte for byte).

Each interpreter salts ``hash()`` of str and bytes afresh, so a set of names
iterates in a different order in every process: a controller, kubelet,
scheduler or machine that acts in such an order gives a derandomized CI run
a different outcome on another worker or machine. Two interpreters with
different hash seeds run every workload machine (tests/controllers/digest.py)
and must record the same writes; a seeded ReplicaSet controller that keeps
its work queue as a set must be told apart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections import deque
from pathlib import Path

from conformance.workloads import MACHINES
from impl.controllers.replicaset import ReplicaSetController
from impl.controllers.workqueue import SyncError, process_queued

ROOT = Path(__file__).resolve().parents[2]
#: A budget small enough for the whole test to take a few seconds, large enough to cover
#: scale-downs, rollouts, crashes and node changes in every machine.
BUDGET = ("--examples", "2", "--steps", "12")


class SyncsInSetOrder(ReplicaSetController):
    """Keeps its work queue as a set: ReplicaSets queued in the same round sync in the salted hash's order."""

    def step(self, now: float) -> int:
        self._replicaset_events(self.replicasets.poll(0.0))
        self._pod_events(self.pods.poll(0.0))
        self.queue.release_due(now)
        self.queue.queue = deque(set(self.queue.queue))
        return process_queued(self.queue, self.sync, now, SyncError)


def _digests(hash_seeds: tuple[str, ...], *args: str) -> list[str]:
    """tests/controllers/digest.py's output in one fresh interpreter per hash seed, run side by side."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.controllers.digest", *args],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for hash_seed in hash_seeds
    ]
    outputs = []
    try:
        for run in runs:
            out, err = run.communicate(timeout=120)
            assert run.returncode == 0, err
            outputs.append(out)
    finally:  # a timeout or a failure leaves no interpreter behind
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.communicate()
    return outputs


def test_every_workload_machine_makes_the_same_writes_whatever_the_hash_seed() -> None:
    first, second = _digests(("1", "2"), *BUDGET, *MACHINES)
    rows = first.splitlines()
    assert [row.split()[0] for row in rows] == list(MACHINES)
    for row in rows:  # each machine made writes: the digests compare runs, not empty records
        assert int(row.split()[1]) > 10, row
    assert first == second


def test_a_controller_acting_in_set_order_is_told_apart() -> None:
    controller = f"{__name__}:{SyncsInSetOrder.__name__}"
    first, second = _digests(("1", "2"), *BUDGET, "--controller", controller, "replicaset")
    assert first != second
