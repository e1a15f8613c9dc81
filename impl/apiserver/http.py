"""The HTTP driver of the reference API server: aiohttp on loopback, the request core on a thread pool.

What it does: reads each request (at most 3 MiB of body, then 413 without
reading on), hands it to ``APIServer.handle`` on a worker thread (the core
and its kv client are blocking), and writes the answer. A watch is streamed
as chunked JSON lines, one ``{"type": ..., "object": ...}`` per line, as
kube-apiserver writes them (k8s.io/apiserver ``pkg/endpoints/handlers/
watch.go``); it ends when the client goes, when ``timeoutSeconds`` (default
30 minutes, upstream's ``--min-request-timeout`` draws 30 to 60) has
passed, or after an ERROR event. With ``allowWatchBookmarks`` a BOOKMARK is
sent every ``bookmark_interval_s`` when the delivered revision moved on
(upstream: about once a minute).

The driver is what injects time and randomness into the core: the wall
clock (UTC) and a ``SeededEntropy`` seeded from the OS.

``ServerThread`` runs the whole thing in a background thread with its own
event loop, for tests and examples; ``serve`` runs it in the foreground
(``kspec apiserver``).

Requirement IDs: none defined here (API-BAD-INPUT covers the 413).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from impl.apiserver.authn import Authenticator, Failure, anonymous_user, is_open_path, unauthorized_status
from impl.apiserver.authz import Authorizer
from impl.apiserver.core import APIServer, Request, Response
from impl.apiserver.encryption import ReloadingTransformer
from impl.apiserver.storage import KV
from impl.apiserver.watch import APIWatch
from spec import apiserver
from spec.entropy import SeededEntropy

#: How long one wait for watch events lasts before the driver checks the deadline and bookmarks.
_POLL_S = 0.25
_DEFAULT_WATCH_TIMEOUT_S = 1800

_log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def new_server(
    kv: KV,
    *,
    clock: Callable[[], datetime] = wall_clock,
    seed: int | None = None,
    authorization: bool = False,
    encryption_config: str | os.PathLike[str] | None = None,
) -> APIServer:
    """A core with the real clock and fresh randomness, its system namespaces created.

    ``authorization``: the Node and RBAC authorizers and the default RBAC policy. ``encryption_config``:
    an EncryptionConfiguration file (``--encryption-provider-config``), re-read when it changes
    (impl/apiserver/encryption.py).
    """
    entropy = SeededEntropy(seed if seed is not None else int.from_bytes(os.urandom(8), "big"))
    encryption = None
    if encryption_config is not None:
        encryption = ReloadingTransformer(encryption_config, entropy.fork("encryption"))
    server = APIServer(kv, clock=clock, entropy=entropy, encryption=encryption)
    if authorization:
        server.authorizer = Authorizer(lambda: server.storage)
    server.bootstrap()
    return server


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` (the rest is never read)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def _response(result: Response) -> web.Response:
    content_type, _, charset = result.content_type.partition("; charset=")
    return web.Response(
        status=result.status, body=result.body, content_type=content_type, charset=charset or None
    )


def make_app(
    server: APIServer,
    *,
    bookmark_interval_s: float = 60.0,
    workers: int = 32,
    authenticator: Authenticator | None = None,
) -> web.Application:
    """The aiohttp application serving ``server`` (every path goes to the core).

    Without an ``authenticator`` every caller is trusted (``Request.user`` None, the suites' plain-HTTP
    mode); with one, each request is authenticated (impl/apiserver/authn.py) and refused with 401 when a
    credential is refused or, outside the health and version endpoints, when there is none.
    """
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apiserver")

    async def handle(request: web.Request) -> web.StreamResponse:
        loop = asyncio.get_running_loop()
        body = await _read_body(request, apiserver.MAX_REQUEST_BODY_BYTES)
        if body is None:
            status = apiserver.request_entity_too_large()
            return web.json_response(status, status=413)
        user = None
        if authenticator is not None:
            # On a worker: bootstrap tokens and ServiceAccounts are read from the store (blocking).
            found = await loop.run_in_executor(
                executor,
                authenticator.authenticate,
                request.headers.get("Authorization"),
                _peer_certificate(request),
            )
            if isinstance(found, Failure):
                # The client gets upstream's bare 401; the reason goes to the server's log, as
                # kube-apiserver's authentication filter logs "Unable to authenticate the request".
                _log.warning("Unable to authenticate the request to %s: %s", request.path, found.reason)
                return web.json_response(unauthorized_status(), status=401)
            if found is None and not is_open_path(request.path):
                return web.json_response(unauthorized_status(), status=401)
            user = found if found is not None else anonymous_user()
        core_request = Request(
            method=request.method,
            path=request.path,
            query={name: request.query.getall(name) for name in request.query},
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            user=user,
        )
        result = await loop.run_in_executor(executor, server.handle, core_request)
        if isinstance(result, Response):
            return _response(result)
        return await _stream(request, result, loop, executor, bookmark_interval_s)

    async def shutdown(app: web.Application) -> None:
        executor.shutdown(wait=False, cancel_futures=True)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    app.on_shutdown.append(shutdown)
    return app


def _peer_certificate(request: web.Request):  # -> x509.Certificate | None
    """The client certificate the TLS handshake verified against the CA, if one was presented."""
    ssl_object = request.transport.get_extra_info("ssl_object") if request.transport else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return None
    from cryptography import x509

    return x509.load_der_x509_certificate(der)


async def _stream(
    request: web.Request,
    watch: APIWatch,
    loop: asyncio.AbstractEventLoop,
    executor: ThreadPoolExecutor,
    bookmark_interval_s: float,
) -> web.StreamResponse:
    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    response.enable_chunked_encoding()
    timeout = watch.timeout_seconds if watch.timeout_seconds is not None else _DEFAULT_WATCH_TIMEOUT_S
    deadline = loop.time() + timeout
    next_bookmark = loop.time() + bookmark_interval_s
    try:
        await response.prepare(request)
        while loop.time() < deadline:
            wait = min(_POLL_S, max(deadline - loop.time(), 0.0), max(next_bookmark - loop.time(), 0.0))
            try:
                events: list[dict[str, Any]] = await loop.run_in_executor(executor, watch.next_events, wait)
            except RuntimeError:
                break  # the executor is shut down: the server is stopping
            for event in events:
                await response.write(json.dumps(event, separators=(",", ":")).encode() + b"\n")
            if watch.closed:
                break
            if loop.time() >= next_bookmark:
                next_bookmark = loop.time() + bookmark_interval_s
                bookmark = watch.bookmark()
                if bookmark is not None:
                    await response.write(json.dumps(bookmark, separators=(",", ":")).encode() + b"\n")
        await response.write_eof()
    except (ConnectionResetError, asyncio.CancelledError):
        pass  # the client went away
    finally:
        watch.close()
    return response


class ServerThread:
    """The HTTP server on a loopback port in a background thread; ``stop`` ends it (bounded)."""

    def __init__(
        self,
        server: APIServer,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bookmark_interval_s: float = 60.0,
        authenticator: Authenticator | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.server = server
        self._authenticator = authenticator
        self._ssl_context = ssl_context
        self.host = host
        self.port = port
        self._bookmark_interval_s = bookmark_interval_s
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="apiserver-http", daemon=True)

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise TimeoutError(f"the API server did not start within {timeout_s} s")
        if self._error is not None:
            raise RuntimeError("the API server failed to start") from self._error
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as error:  # reported to start() if it happened before the server was ready
            self._error = error
            self._ready.set()
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        app = make_app(
            self.server, bookmark_interval_s=self._bookmark_interval_s, authenticator=self._authenticator
        )
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, ssl_context=self._ssl_context)
        await site.start()
        self.port = runner.addresses[0][1]
        self._ready.set()
        try:
            await self._stopped.wait()
        finally:
            await runner.cleanup()

    def stop(self, timeout_s: float = 10.0) -> None:
        if self._stopped is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout_s)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(
    server: APIServer,
    *,
    host: str = "127.0.0.1",
    port: int = 6443,
    authenticator: Authenticator | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Serve in the foreground until interrupted (HTTPS and authentication when given, as ServerThread)."""
    web.run_app(
        make_app(server, authenticator=authenticator),
        host=host,
        port=port,
        ssl_context=ssl_context,
        print=lambda text: print(text, flush=True),
    )
