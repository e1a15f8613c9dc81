"""Reproductions of what real etcd does that spec/kv.py does not expect (docs/findings.md), each an
expected failure that names its finding, so that the conformance report of ``--impl etcd`` and
``--impl etcd34`` shows the requirement as ``known finding``.

Conformance tests (``component`` and ``requirement`` marks), run by ``tox -e etcd``; against any
other implementation they are not applicable. The kv suite's generators avoid both shapes
(conformance/strategies/kv.py) so that the suite tests everything else.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.adapters import Implementation
from conformance.violation import RequirementViolation, require
from impl.peers.etcd import EtcdCluster, EtcdProvider
from impl.peers.processes import MemberFailed
from spec.kv import (
    KV_PUT_OPTIONS,
    KV_RANGE_SEMANTICS,
    CompactionRequest,
    DeleteRangeRequest,
    Indeterminate,
    KVStore,
    PutRequest,
    RangeRequest,
    Request,
    Response,
    TxnRequest,
    WatchCreateRequest,
)
from spec.kv_watch import KV_WATCH_RESUMABLE

pytestmark = pytest.mark.component("kv")


@pytest.fixture
def etcd(kspec_implementation: Implementation) -> Iterator[EtcdCluster]:
    """A one-member cluster of the etcd under test (skipped for anything but real etcd)."""
    provider = kspec_implementation.component("kv")
    if not isinstance(provider, EtcdProvider):
        pytest.skip(f"not applicable: a reproduction against real etcd, not {kspec_implementation.name!r}")
    cluster = provider.new_cluster(size=1)
    try:
        yield cluster
    finally:
        cluster.close()


def both(cluster: EtcdCluster, model: KVStore, request: Request) -> tuple[Response, Response | str]:
    """The model's answer and etcd's (or what happened instead of an answer)."""
    expected = model.apply(request)
    try:
        return expected, cluster.client().call(request)
    except Indeterminate as exc:
        return expected, f"no answer: {exc}"


@pytest.mark.requirement("KV-PUT-OPTIONS")
@pytest.mark.xfail(
    reason="docs/findings.md#etcd-1: a txn that deletes a key with range_end '\\0' and then puts it "
    "with ignore_value panics etcd's apply loop, and again at every restart",
    raises=RequirementViolation,
    strict=True,
)
def test_etcd_1_a_txn_that_deletes_a_key_from_itself_on_and_puts_it_with_ignore_value_is_refused(
    etcd: EtcdCluster,
) -> None:
    model = KVStore()
    put = PutRequest(b"zz", b"v")
    assert etcd.client().call(put) == model.apply(put)
    txn = TxnRequest(success=(DeleteRangeRequest(b"zz", b"\0"), PutRequest(b"zz", ignore_value=True)))
    expected, actual = both(etcd, model, txn)
    if actual == expected:
        return
    etcd.crash("n1")  # reaps the process if the panic ended it
    try:
        etcd.restart("n1")
        restarted = "the member restarted"
    except MemberFailed as exc:
        restarted = f"the restarted member failed too:\n{str(exc)[-800:]}"
    require(
        KV_PUT_OPTIONS,
        False,
        lambda: f"{txn!r}\nexpected {expected!r}\nreceived {actual}\n{restarted}",
    )


@pytest.mark.requirement("KV-RANGE-SEMANTICS")
@pytest.mark.xfail(
    reason="docs/findings.md#etcd-2: a range inside a txn with a negative revision fails as compacted "
    "(rpc.proto: a revision <= 0 reads the newest)",
    raises=RequirementViolation,
    strict=True,
)
def test_etcd_2_a_range_in_a_txn_with_a_negative_revision_reads_the_newest(etcd: EtcdCluster) -> None:
    model = KVStore()
    client = etcd.client()
    for setup in (PutRequest(b"a", b"v"), PutRequest(b"a", b"w"), CompactionRequest(2)):
        model.apply(setup)
        client.call(setup)
    for revision in (-1, -2):
        plain = RangeRequest(b"a", revision=revision)
        assert client.call(plain) == model.apply(plain), (
            "a plain range at a negative revision reads the newest"
        )
        txn = TxnRequest(success=(RangeRequest(b"a", revision=revision),))
        expected, actual = both(etcd, model, txn)
        require(
            KV_RANGE_SEMANTICS,
            actual == expected,
            lambda txn=txn, expected=expected, actual=actual: (  # type: ignore[misc]
                f"{txn!r}\nexpected {expected!r}\nreceived {actual!r}"
            ),
        )


@pytest.mark.requirement("KV-WATCH-RESUMABLE")
@pytest.mark.xfail(
    reason="docs/findings.md#etcd-3: compacting at revision R removes a tombstone at R, so a watch "
    "from R (not compacted) misses that delete (etcd-io/etcd#18089, fixed in #18274)",
    raises=RequirementViolation,
    strict=True,
)
def test_etcd_3_a_watch_from_the_compact_revision_delivers_the_deletes_at_it(etcd: EtcdCluster) -> None:
    model = KVStore()
    client = etcd.client()
    # physical: etcd answers a compaction before it has removed anything; asking it to wait until the
    # backend is compacted makes the reproduction deterministic (without it the watch sometimes starts
    # before the tombstone is gone, delivers the delete, and the strict xfail passes).
    for setup in (PutRequest(b"k", b"v"), DeleteRangeRequest(b"k"), CompactionRequest(3, physical=True)):
        assert client.call(setup) == model.apply(setup)
    request = WatchCreateRequest(b"k", start_revision=3)
    expected = model.watch(request)
    stream = client.watch(request)
    try:
        received = stream.receive(2.0)
        received += stream.receive(0.5)
    finally:
        stream.cancel()
    events = [e for r in received for e in r.events]
    require(
        KV_WATCH_RESUMABLE,
        events == list(expected.events),
        lambda: (
            f"{request!r} after a delete at 3 and a compaction at 3\nexpected {expected.events!r}\n"
            f"received {received!r}"
        ),
    )
