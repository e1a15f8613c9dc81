"""The API server's storage calls, over the ``kv`` contract only (etcd v3 requests of ``spec.kv``).

Upstream: k8s.io/apiserver ``pkg/storage/etcd3/store.go``:

- ``Create``: ``Txn(If(ModRevision(key) == 0), Then(Put))``; a failed
  compare means the key exists (AlreadyExists).
- ``GuaranteedUpdate`` and ``conditionalDelete``: read the key, compute the
  new value, then ``Txn(If(ModRevision(key) == read revision), Then(Put or
  Delete), Else(Get))``; a failed compare means someone wrote in between.
- ``GetList``: ``Range`` over ``prefix``..``prefix_end`` at one revision, in
  pages of ``limit`` keys, the next page starting at the last key + ``\\0``.

Every response's ``mod_revision`` is what the object's resourceVersion
becomes (API-RV-MONOTONIC). ``KVClient`` comes from ``conformance/adapters/
kv.py`` as a structural protocol; nothing here imports the suite.

Requirement IDs: none (the core's requirements are met through these calls).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Protocol

from impl.apiserver.encryption import DecryptingWatchStream, TransformError, ValueTransformer
from spec.kv import (
    Compare,
    CompareResult,
    CompareTarget,
    DeleteRangeRequest,
    EtcdError,
    GrpcCode,
    KeyValue,
    PutRequest,
    RangeRequest,
    RangeResponse,
    Request,
    Response,
    TxnRequest,
    TxnResponse,
    WatchCreateRequest,
    prefix_end,
)


class KV(Protocol):
    """What the API server needs of a ``kv`` client (``conformance.adapters.kv.KVClient``)."""

    def call(self, request: Request) -> Response: ...

    def watch(self, request: WatchCreateRequest) -> Any: ...


class StorageError(Exception):
    """etcd answered with an error the request did not expect (``error`` says which)."""

    def __init__(self, error: EtcdError) -> None:
        super().__init__(error.message)
        self.error = error

    @property
    def compacted(self) -> bool:
        return self.error.code == GrpcCode.OUT_OF_RANGE and "compacted" in self.error.message

    @property
    def future_revision(self) -> bool:
        return self.error.code == GrpcCode.OUT_OF_RANGE and "future revision" in self.error.message


@dataclass(frozen=True)
class Stored:
    """One key as read: its value and the revision that last wrote it."""

    key: str
    value: bytes
    mod_revision: int
    #: Read through a provider other than the one that encrypts writes: an update must write it even if
    #: the object is unchanged (upstream GuaranteedUpdate's ``stale``), which is how rotation re-encrypts.
    stale: bool = False

    @staticmethod
    def of(kv: KeyValue) -> Stored:
        return Stored(kv.key.decode(), kv.value, kv.mod_revision)


@dataclass(frozen=True)
class Page:
    """Some keys of a list, at one revision, and whether keys remain after them."""

    items: tuple[Stored, ...]
    revision: int
    more: bool
    remaining: int  # keys after this page in the range (before any selector)


def _not_modified_since(key: bytes, revision: int) -> Compare:
    return Compare(key, CompareTarget.MOD, CompareResult.EQUAL, mod_revision=revision)


class Storage:
    """Objects as bytes under string keys; every method is one or two kv calls.

    ``transformer`` (encryption at rest, impl/apiserver/encryption.py) turns values into what is stored on
    write and back on read; None stores them as they are.
    """

    def __init__(self, kv: KV, transformer: ValueTransformer | None = None) -> None:
        self.kv = kv
        self.transformer = transformer

    def _in(self, key: str, value: bytes) -> bytes:
        return value if self.transformer is None else self.transformer.to_storage(key, value)

    def _out(self, stored: Stored) -> Stored:
        if self.transformer is None:
            return stored
        read = self.transformer.from_storage(stored.key, stored.value)
        return replace(stored, value=read.data, stale=read.stale)

    def watch(self, request: WatchCreateRequest) -> Any:
        """``kv.watch`` with values read back through the transformer (a value none reads is left out)."""
        stream = self.kv.watch(request)
        transformer = self.transformer
        if transformer is None:
            return stream

        def plain(key: str, value: bytes) -> bytes | None:
            try:
                return transformer.from_storage(key, value).data
            except TransformError:
                return None

        return DecryptingWatchStream(stream, plain)

    def _call(self, request: Request) -> Response:
        response = self.kv.call(request)
        if isinstance(response, EtcdError):
            raise StorageError(response)
        return response

    def get(self, key: str) -> Stored | None:
        response = self._call(RangeRequest(key.encode()))
        assert isinstance(response, RangeResponse)
        return self._out(Stored.of(response.kvs[0])) if response.kvs else None

    def revision(self) -> int:
        """The store's current revision (a count-only read of one key, as a list's header gives it)."""
        response = self._call(RangeRequest(b"/registry/", count_only=True))
        assert isinstance(response, RangeResponse)
        return response.header.revision

    def create(self, key: str, value: bytes) -> int | None:
        """The new key's mod_revision, or None if the key exists."""
        raw = key.encode()
        value = self._in(key, value)
        response = self._call(TxnRequest((_not_modified_since(raw, 0),), (PutRequest(raw, value),), ()))
        assert isinstance(response, TxnResponse)
        return response.header.revision if response.succeeded else None

    def update(self, key: str, value: bytes, read_revision: int) -> int | None:
        """The new mod_revision, or None if the key changed (or went) since ``read_revision``."""
        raw = key.encode()
        value = self._in(key, value)
        response = self._call(
            TxnRequest((_not_modified_since(raw, read_revision),), (PutRequest(raw, value),), ())
        )
        assert isinstance(response, TxnResponse)
        return response.header.revision if response.succeeded else None

    def delete(self, key: str, read_revision: int) -> int | None:
        """The delete's revision, or None if the key changed (or went) since ``read_revision``."""
        raw = key.encode()
        response = self._call(
            TxnRequest((_not_modified_since(raw, read_revision),), (DeleteRangeRequest(raw),), ())
        )
        assert isinstance(response, TxnResponse)
        return response.header.revision if response.succeeded else None

    def page(self, prefix: str, start: str, revision: int, limit: int) -> Page:
        """Up to ``limit`` keys (0: all) from ``start`` under ``prefix`` at ``revision`` (0: now)."""
        response = self._call(
            RangeRequest(start.encode(), prefix_end(prefix.encode()), limit=limit, revision=revision)
        )
        assert isinstance(response, RangeResponse)
        items = tuple(self._out(Stored.of(kv)) for kv in response.kvs)
        return Page(
            items,
            response.header.revision if revision <= 0 else revision,
            response.more,
            max(response.count - len(items), 0),
        )


class DryRunStorage:
    """``dryRun=All``: reads go to ``inner``; writes are checked as etcd would check them, and not made.

    A create answers revision 0 (the core then leaves resourceVersion out, as
    upstream's dry-run create does); an update or delete answers the revision
    it read, so the object answered carries the stored resourceVersion.
    """

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.kv = inner.kv

    def get(self, key: str) -> Stored | None:
        return self.inner.get(key)

    def revision(self) -> int:
        return self.inner.revision()

    def page(self, prefix: str, start: str, revision: int, limit: int) -> Page:
        return self.inner.page(prefix, start, revision, limit)

    def create(self, key: str, value: bytes) -> int | None:
        return None if self.inner.get(key) is not None else 0

    def update(self, key: str, value: bytes, read_revision: int) -> int | None:
        current = self.inner.get(key)
        return read_revision if current is not None and current.mod_revision == read_revision else None

    def delete(self, key: str, read_revision: int) -> int | None:
        return self.update(key, b"", read_revision)
