"""How the reference's components talk to an API server: JSON requests, watches, and informers.

Components that act through the API (the scheduler's API driver, and the
controllers to come) talk to an ``APIClient``:

- ``call(method, path, body, query=..., content_type=...)`` answers
  ``(status code, decoded JSON body)``; a Status body on errors, never an
  exception for an HTTP error code.
- ``watch(path, query)`` opens a watch: ``next_events(timeout_s)`` returns
  the events that are ready (``{"type", "object"}``, as the API streams
  them; an ``ERROR`` event carries a Status), ``close()`` ends it.

Two transports: ``InProcessClient`` calls the sans-IO core
(impl/apiserver/core.py ``APIServer.handle``) directly, so a test or the
simulator runs components with no sockets and no threads; ``HTTPClient``
speaks HTTP to any API server (the reference's aiohttp driver or a real
cluster), over one kept-alive connection per thread for requests (with a
TLS handshake per request, sequential requests took four times as long)
and one streaming connection per watch read by a thread.

``Informer`` is client-go's reflector and store in their simplest form
(k8s.io/client-go tools/cache reflector.go ``ListAndWatch``): list, then
watch from the list's resourceVersion with bookmarks, keep a cache by
namespace/name, and list again when the watch ends or reports 410 Gone
(``relist``), emitting the differences as events, so a consumer never
misses a change, only sees it late.

Requirement IDs: none.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from impl.apiserver.core import APIServer, Request, Response
from impl.apiserver.watch import APIWatch
from spec.authn import UserInfo

Query = Mapping[str, str]


class APIWatchStream(Protocol):
    def next_events(self, timeout_s: float) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


class APIClient(Protocol):
    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Query | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]: ...

    def watch(self, path: str, *, query: Query | None = None) -> APIWatchStream: ...


def _decoded(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body.decode(errors="replace")


def _error_event(code: int, message: str) -> dict[str, Any]:
    status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message, "code": code}
    return {"type": "ERROR", "object": status}


# -- in process -------------------------------------------------------------------------------------


@dataclass
class InProcessClient:
    """Calls ``server.handle`` directly: deterministic, no sockets, no threads.

    ``user`` makes every request act as that user (the server authorizes it if it has an
    authorizer); None is a trusted in-process caller.
    """

    server: APIServer
    user: UserInfo | None = None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Query | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        data = b"" if body is None else json.dumps(body).encode()
        params = {key: [value] for key, value in (query or {}).items()}
        headers = {"content-type": content_type}
        answer = self.server.handle(Request(method, path, params, headers, data, user=self.user))
        if isinstance(answer, APIWatch):
            answer.close()
            raise ValueError(f"{method} {path} opened a watch: use watch()")
        return answer.status, _decoded(answer.body)

    def watch(self, path: str, *, query: Query | None = None) -> APIWatchStream:
        params = {key: [value] for key, value in {**(query or {}), "watch": "true"}.items()}
        answer = self.server.handle(Request("GET", path, params, {}, b"", user=self.user))
        if isinstance(answer, Response):
            return _Ended([{"type": "ERROR", "object": _decoded(answer.body)}])
        return _InProcessWatch(answer)


@dataclass
class _InProcessWatch:
    watch: APIWatch

    def next_events(self, timeout_s: float) -> list[dict[str, Any]]:
        events = self.watch.next_events(timeout_s)
        bookmark = self.watch.bookmark()
        return [*events, bookmark] if bookmark else events

    def close(self) -> None:
        self.watch.close()


@dataclass
class _Ended:
    """A watch that could not start: its one ERROR event, then nothing."""

    events: list[dict[str, Any]]

    def next_events(self, timeout_s: float) -> list[dict[str, Any]]:
        ready, self.events = self.events, []
        return ready

    def close(self) -> None:
        self.events = []


# -- over HTTP ----------------------------------------------------------------------------------------

#: A kept connection idle this long is replaced before use (below aiohttp's 75 s keep-alive timeout).
IDLE_S = 30.0


@dataclass
class HTTPClient:
    """HTTP to ``base_url``; https with ``ssl_context`` (CA, and a client certificate loaded into it),
    and a bearer ``token`` when given (impl/apiserver/authn.py)."""

    base_url: str
    timeout_s: float = 10.0
    token: str | None = None
    ssl_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.base_url)
        want = "https" if self.ssl_context is not None else "http"
        if parsed.scheme != want or not parsed.hostname:
            raise ValueError(f"HTTPClient needs an {want}://host:port URL, not {self.base_url!r}")
        self._host, self._port = parsed.hostname, parsed.port or (443 if want == "https" else 80)
        # http.client connections are not thread-safe: each thread keeps its own, with when it was last used.
        self._kept = threading.local()

    def _connection(self, timeout_s: float) -> http.client.HTTPConnection:
        if self.ssl_context is not None:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout_s, context=self.ssl_context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout_s)

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _url(self, path: str, query: Query | None) -> str:
        return f"{path}?{urllib.parse.urlencode(query)}" if query else path

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: Query | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": content_type, "Accept": "application/json", **self._auth_headers()}
        url = self._url(path, query)
        connection, reused = self._kept_connection()
        try:
            try:
                try:
                    connection.request(method, url, body=data, headers=headers)
                except (ConnectionResetError, BrokenPipeError) as error:
                    raise http.client.RemoteDisconnected(str(error)) from error
                response = connection.getresponse()
            except http.client.RemoteDisconnected:
                if not reused:
                    raise
                # The server had closed the kept connection, idle, before this request: it could not be
                # sent, or the connection ended with no byte of an answer. Once more on a new one.
                connection.close()
                connection, reused = self._kept_connection()
                connection.request(method, url, body=data, headers=headers)
                response = connection.getresponse()
            answer = response.status, _decoded(response.read())
        except BaseException:
            connection.close()
            self._kept.connection = None
            raise
        if response.will_close:
            connection.close()
            self._kept.connection = None
        else:
            self._kept.last_used = time.monotonic()
        return answer

    def _kept_connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's connection, and whether it served a request before. One idle longer than
        ``IDLE_S`` is replaced rather than risked: servers close idle connections (aiohttp after 75 s)."""
        connection = getattr(self._kept, "connection", None)
        if connection is not None and time.monotonic() - self._kept.last_used < IDLE_S:
            return connection, True
        if connection is not None:
            connection.close()
        connection = self._kept.connection = self._connection(self.timeout_s)
        return connection, False

    def close(self) -> None:
        """Close this thread's kept connection (others close when their threads' clients go)."""
        connection = getattr(self._kept, "connection", None)
        if connection is not None:
            connection.close()
            self._kept.connection = None

    def watch(self, path: str, *, query: Query | None = None) -> APIWatchStream:
        return _HTTPWatch(
            self._host,
            self._port,
            self._url(path, {**(query or {}), "watch": "true"}),
            connection=self._connection(10.0),
            headers=self._auth_headers(),
        )


class _HTTPWatch:
    """A watch over one streaming response: a thread reads JSON lines into a queue."""

    def __init__(
        self,
        host: str,
        port: int,
        url: str,
        connect_timeout_s: float = 10.0,
        *,
        connection: http.client.HTTPConnection | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._closed = threading.Event()
        self._headers = headers or {}
        self._connection = connection or http.client.HTTPConnection(host, port, timeout=connect_timeout_s)
        self._thread = threading.Thread(target=self._read, args=(url,), name="apiclient-watch", daemon=True)
        self._thread.start()

    def _read(self, url: str) -> None:
        try:
            self._connection.request("GET", url, headers={"Accept": "application/json", **self._headers})
            response = self._connection.getresponse()
            if response.status != 200:
                self._events.put({"type": "ERROR", "object": _decoded(response.read())})
                return
            # Reads block until an event, a bookmark or the end; close() unblocks them by shutting
            # the socket down (a read timeout would leave the buffered response in an undefined state).
            if self._connection.sock is not None:
                self._connection.sock.settimeout(None)
            while not self._closed.is_set():
                line = response.readline()
                if not line:
                    break  # the server ended the watch
                if line.strip():
                    self._events.put(json.loads(line))
        except Exception as error:  # a socket shut down under a read breaks http.client anyhow
            if not self._closed.is_set():
                self._events.put(_error_event(500, f"watch stream broken: {error!r}"))
        finally:
            self._events.put(None)

    def next_events(self, timeout_s: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            first = (
                self._events.get(timeout=max(timeout_s, 0.0)) if timeout_s > 0 else self._events.get_nowait()
            )
        except queue.Empty:
            return out
        items = [first]
        while True:
            try:
                items.append(self._events.get_nowait())
            except queue.Empty:
                break
        for item in items:
            if item is None:
                # The stream ended: say so once, as an ERROR the informer answers by listing again.
                if not self._closed.is_set():
                    out.append(_error_event(410, "the watch ended"))
                    self._closed.set()
                break
            out.append(item)
        return out

    def close(self) -> None:
        self._closed.set()
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._connection.close()
        self._thread.join(timeout=5.0)


# -- informers ------------------------------------------------------------------------------------------


def object_key(obj: Mapping[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))


class ListFailed(Exception):
    """The list an informer starts from failed (the Status says why)."""


@dataclass
class Informer:
    """A cache of one collection kept by list + watch; ``poll`` returns what changed, as events."""

    client: APIClient
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    cache: dict[str, dict[str, Any]] = field(default_factory=dict)
    resource_version: str = ""
    relists: int = 0
    _watch: APIWatchStream | None = None

    def start(self) -> list[tuple[str, dict[str, Any]]]:
        """List (and watch from there): the cache's first contents as ADDED events."""
        return self._relist()

    def poll(self, timeout_s: float = 0.0) -> list[tuple[str, dict[str, Any]]]:
        """The changes seen within ``timeout_s``: (ADDED | MODIFIED | DELETED, object)."""
        if self._watch is None:
            return self._relist()
        out: list[tuple[str, dict[str, Any]]] = []
        for event in self._watch.next_events(timeout_s):
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "ERROR":
                # 410 Gone or a broken stream: what happened meanwhile comes from a fresh list.
                self._watch.close()
                self._watch = None
                return [*out, *self._relist()]
            version = (obj.get("metadata") or {}).get("resourceVersion")
            if version:
                self.resource_version = version
            if kind == "BOOKMARK":
                continue
            key = object_key(obj)
            if kind == "DELETED":
                self.cache.pop(key, None)
            else:
                self.cache[key] = obj
            out.append((str(kind), obj))
        return out

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None

    def _relist(self) -> list[tuple[str, dict[str, Any]]]:
        status, body = self.client.call("GET", self.path, query=self.query)
        if status != 200:
            raise ListFailed(f"GET {self.path}: {status} {body}")
        self.relists += 1
        # List items come without apiVersion and kind (the list names them), watch events with them.
        kind = str(body.get("kind", "")).removesuffix("List")
        typed = {"apiVersion": body.get("apiVersion"), "kind": kind}
        listed = {object_key(item): {**typed, **item} for item in body.get("items") or ()}
        out: list[tuple[str, dict[str, Any]]] = [
            ("DELETED", obj) for key, obj in self.cache.items() if key not in listed
        ]
        for key, obj in listed.items():
            old = self.cache.get(key)
            if old is None:
                out.append(("ADDED", obj))
            elif old.get("metadata", {}).get("resourceVersion") != obj.get("metadata", {}).get(
                "resourceVersion"
            ):
                out.append(("MODIFIED", obj))
        self.cache = listed
        self.resource_version = body.get("metadata", {}).get("resourceVersion", "")
        query = {**self.query, "resourceVersion": self.resource_version, "allowWatchBookmarks": "true"}
        self._watch = self.client.watch(self.path, query=query)
        return out

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(list(self.cache.values()))
