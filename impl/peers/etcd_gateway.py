"""A client of etcd's JSON gateway behind the suite's ``kv`` contract: one code path for every etcd.

Any server that speaks etcd's grpc-gateway JSON on a loopback port (real
etcd 3.4 and 3.5, and the reference etcd in real mode) is reached through
``GatewayClient`` and ``GatewayWatchStream``; the wire shapes are
``spec.kv_json``'s. Standard library only (``http.client``, threads).

Outcomes, as the contract (conformance/adapters/kv.py) asks:

- Every call opens a fresh HTTP connection, so that a keep-alive connection
  the server closed while idle is never mistaken for a request lost in
  flight. A refused or timed-out connect sends nothing: ``Unavailable``.
- Once the request was written, a timeout, reset or early close leaves the
  outcome open: ``Indeterminate`` for a write, ``Unavailable`` for a read
  (a read changes nothing, so not knowing its answer is all that was lost).
- An error etcd answers is returned as ``spec.kv.EtcdError`` when it is one
  the model gives; errors of a server in trouble (gRPC Unavailable,
  DeadlineExceeded, Unknown, Canceled; etcd's "request timed out", "leader
  changed", "no leader" ...) are raised: ``Unavailable`` when etcd refuses
  before proposing (``NEVER_PROPOSED``; v3rpc/interceptor.go
  ``newUnaryInterceptor`` checks for a leader first), otherwise
  ``Indeterminate`` for a write, ``Unavailable`` for a read.

Watches: ``POST /v3/watch`` with one create request; the gateway keeps the
response open and sends one JSON line per WatchResponse (the stream stays
open after the request body ends). A thread reads the lines into a queue;
``cancel`` shuts the socket down, which ends the thread. A line with an
error (the stream failed) is delivered as a canceled response whose
``cancel_reason`` is the error's message, and ends the stream.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.client
import json
import queue
import socket
import threading
from typing import Any, NoReturn

from spec.kv import (
    EtcdError,
    GrpcCode,
    Indeterminate,
    LeaseKeepAliveRequest,
    LeaseLeasesRequest,
    LeaseTimeToLiveRequest,
    RangeRequest,
    Request,
    Response,
    ResponseHeader,
    Unavailable,
    WatchCreateRequest,
    WatchResponse,
)
from spec.kv_json import (
    decode_response,
    decode_watch_response,
    encode_request,
    encode_watch_request,
    path_of,
)

#: Requests that change nothing in the store (a keepalive renews a deadline, which the model has not).
READS = (RangeRequest, LeaseTimeToLiveRequest, LeaseLeasesRequest, LeaseKeepAliveRequest)
#: Codes of errors that say the server could not serve the request, not that the request was wrong.
TRANSIENT_CODES = frozenset(
    {
        GrpcCode.CANCELED,
        GrpcCode.UNKNOWN,
        GrpcCode.DEADLINE_EXCEEDED,
        GrpcCode.UNAVAILABLE,
        GrpcCode.RESOURCE_EXHAUSTED,
        GrpcCode.ABORTED,
        GrpcCode.INTERNAL,
    }
)
#: Errors etcd answers before it proposes anything (rpctypes ErrGRPCNoLeader, ErrGRPCTooManyRequests,
#: ErrGRPCNotCapable), so the request certainly had no effect.
NEVER_PROPOSED = frozenset(
    {"etcdserver: no leader", "etcdserver: too many requests", "etcdserver: not capable"}
)


def _split(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host, int(port)


class GatewayClient:
    """A ``kv`` client of one member's gateway at ``address`` (``host:port``)."""

    def __init__(self, address: str, *, timeout_s: float) -> None:
        self.address = address
        self.timeout_s = timeout_s
        self._watches: list[GatewayWatchStream] = []
        # ``submit``: each request on a thread of its own; ``call`` bounds every one by the timeout.
        self._calls: concurrent.futures.ThreadPoolExecutor | None = None
        self._submitted: list[concurrent.futures.Future[Response | Unavailable | Indeterminate]] = []

    def submit(self, request: Request) -> int:
        """``call`` on a worker thread (the ``ConcurrentKVClient`` contract); its ticket."""
        if self._calls is None:
            self._calls = concurrent.futures.ThreadPoolExecutor(thread_name_prefix=f"kv-{self.address}")
        self._submitted.append(self._calls.submit(self._call_for_outcome, request))
        return len(self._submitted) - 1

    def outcome(self, ticket: int) -> Response | Unavailable | Indeterminate | None:
        future = self._submitted[ticket]
        return future.result() if future.done() else None

    def _call_for_outcome(self, request: Request) -> Response | Unavailable | Indeterminate:
        try:
            return self.call(request)
        except (Unavailable, Indeterminate) as e:
            return e

    def call(self, request: Request) -> Response:
        body = json.dumps(encode_request(request)).encode()
        status, answer = self._post(path_of(request), body, write=not isinstance(request, READS))
        if not (200 <= status < 300 or answer.lstrip().startswith(b"{")):
            self._transient(request, f"HTTP {status}: {answer[:200]!r}")
        try:
            decoded = json.loads(answer)
        except ValueError:
            self._transient(request, f"HTTP {status} with a body that is not JSON: {answer[:200]!r}")
        response = decode_response(request, decoded)
        if isinstance(response, EtcdError) and response.code in TRANSIENT_CODES:
            if response.message in NEVER_PROPOSED:
                raise Unavailable(f"{response.message} ({request!r})")
            self._transient(request, f"{response.message} (gRPC code {response.code.name})")
        return response

    def _transient(self, request: Request, why: str) -> NoReturn:
        if isinstance(request, READS):
            raise Unavailable(f"{why}: {request!r}")
        raise Indeterminate(f"{why}: {request!r}")

    def _post(self, path: str, body: bytes, *, write: bool) -> tuple[int, bytes]:
        host, port = _split(self.address)
        connection = http.client.HTTPConnection(host, port, timeout=self.timeout_s)
        try:
            try:
                connection.connect()
            except OSError as exc:  # refused, or no answer to the SYN (a paused member still accepts)
                raise Unavailable(f"cannot connect to {self.address}: {exc!r}") from exc
            try:
                connection.request("POST", path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException) as exc:
                outcome = Indeterminate if write else Unavailable
                raise outcome(f"POST {path} to {self.address}: {exc!r}") from exc
        finally:
            connection.close()

    def watch(self, request: WatchCreateRequest) -> GatewayWatchStream:
        stream = GatewayWatchStream(self.address, request, connect_timeout_s=self.timeout_s)
        self._watches.append(stream)
        return stream

    def close(self) -> None:
        for stream in self._watches:
            stream.cancel()
        self._watches.clear()
        if self._calls is not None:
            self._calls.shutdown(wait=True)  # each call ends within the client timeout
            self._calls = None


class GatewayWatchStream:
    """One ``/v3/watch`` stream, read on a thread of its own."""

    def __init__(self, address: str, request: WatchCreateRequest, *, connect_timeout_s: float) -> None:
        host, port = _split(address)
        self.request = request
        self._queue: queue.Queue[WatchResponse | None] = queue.Queue()
        self._connection = http.client.HTTPConnection(host, port, timeout=connect_timeout_s)
        self._ended = False
        try:
            self._connection.connect()
            body = json.dumps(encode_watch_request(request)).encode()
            self._connection.request("POST", path_of(request), body, {"Content-Type": "application/json"})
        except (OSError, http.client.HTTPException) as exc:
            self._connection.close()
            raise Unavailable(f"cannot open a watch on {address}: {exc!r}") from exc
        assert self._connection.sock is not None
        self._connection.sock.settimeout(None)  # a watch waits as long as it must; cancel ends it
        self._reader = threading.Thread(target=self._read, name=f"kspec-etcd-watch-{address}", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        try:
            response = self._connection.getresponse()
            while True:
                line = response.readline()
                if not line:
                    return
                if not line.strip():
                    continue
                decoded = decode_watch_response(json.loads(line))
                if isinstance(decoded, EtcdError):
                    self._queue.put(_ended_by(decoded))
                    return
                self._queue.put(decoded)
        except (OSError, http.client.HTTPException, ValueError, AttributeError):
            return  # canceled (the socket was shut down) or the member went away: the stream is silent
        finally:
            self._queue.put(None)

    def receive(self, timeout_s: float) -> list[WatchResponse]:
        """Whatever is buffered; if nothing is, what arrives within ``timeout_s`` (then all of it)."""
        received: list[WatchResponse] = []
        if self._ended:
            return received
        try:
            first = self._queue.get(timeout=max(0.0, timeout_s))
        except queue.Empty:
            return received
        for item in [first, *self._drain()]:
            if item is None:
                self._ended = True
                break
            received.append(item)
        return received

    def _drain(self) -> list[WatchResponse | None]:
        items: list[WatchResponse | None] = []
        with contextlib.suppress(queue.Empty):
            while True:
                items.append(self._queue.get_nowait())
        return items

    def cancel(self) -> None:
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # the reader's next read returns: it ends
        self._reader.join(timeout=5)
        self._connection.close()
        self._ended = True


def _ended_by(error: EtcdError) -> WatchResponse:
    return WatchResponse(ResponseHeader(0), canceled=True, cancel_reason=error.message)


def get_json(address: str, path: str, timeout_s: float) -> Any:
    """``GET path`` (``/health``, ``/version``): the decoded JSON, or None if there is no answer."""
    host, port = _split(address)
    connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        connection.request("GET", path)
        return json.loads(connection.getresponse().read())
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        connection.close()
