"""The concurrent-client run keeps one request of every client in flight (``ConcurrentKVClient``), so
answered requests overlap in its histories; an adapter with ``call`` alone still works, in turns."""

from __future__ import annotations

from conformance.adapters.kv import ConcurrentKVClient
from conformance.kv.clients import Call, ClientRun, Wait
from impl.etcd.sim import SimulatedEtcdClient, SimulatedEtcdProvider
from spec.kv import PutRequest, RangeRequest, Request, Response

SCHEDULE = [Call(client, kind, key) for key in range(3) for client in range(3) for kind in ("put", "get")] + [
    Wait(200)
]


def overlapping_pairs(run: ClientRun) -> int:
    answered = [op for op in run.history if op.return_ != float("inf")]
    return sum(
        1
        for i, a in enumerate(answered)
        for b in answered[i + 1 :]
        if a.call < b.return_ and b.call < a.return_
    )


def test_the_reference_client_takes_requests_without_waiting() -> None:
    cluster = SimulatedEtcdProvider().new_cluster(size=3, entropy=7)
    try:
        client = cluster.client("n1")
        assert isinstance(client, ConcurrentKVClient)
        put = client.submit(PutRequest(b"k", b"v"))
        get = client.submit(RangeRequest(b"k"))
        assert client.outcome(put) is None and client.outcome(get) is None  # no time has passed
        cluster.advance(1_000_000_000)
        written, read = client.outcome(put), client.outcome(get)
        assert written is not None and read is not None
        assert not isinstance(written, Exception) and not isinstance(read, Exception)
    finally:
        cluster.close()


def test_answered_requests_overlap_in_the_history() -> None:
    run = ClientRun(SimulatedEtcdProvider(), 3, seed=11)
    history = run.run(SCHEDULE)
    assert len([op for op in history if op.return_ != float("inf")]) >= 15
    assert overlapping_pairs(run) >= 5, "\n".join(run.log)


class BlockingOnly:
    """A client with ``call`` alone (the contract's minimum)."""

    def __init__(self, inner: SimulatedEtcdClient) -> None:
        self.inner = inner

    def call(self, request: Request) -> Response:
        return self.inner.call(request)

    def watch(self, request: object) -> object:
        raise NotImplementedError

    def close(self) -> None:
        self.inner.close()


def test_a_blocking_client_takes_turns() -> None:
    run = ClientRun(SimulatedEtcdProvider(), 3, seed=11)
    run.clients = [BlockingOnly(c) for c in run.clients]  # type: ignore[misc]
    run.run(SCHEDULE)
    assert not isinstance(run.clients[0], ConcurrentKVClient)
    assert overlapping_pairs(run) == 0
