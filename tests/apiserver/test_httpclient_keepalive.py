"""``HTTPClient`` keeps one connection per thread alive, and recovers when the server drops an idle one.

Against a stub HTTP/1.1 server that records the client port of every
request, so what is asserted is what went over the wire.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from impl.apiclient import HTTPClient


class _Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless a side says otherwise
    ports: list[int]
    #: Close the connection after each answer without saying so (an idle timeout, as the client sees it).
    drop_after_answer = False

    def do_GET(self) -> None:
        self.ports.append(self.client_address[1])
        body = json.dumps({"kind": "Status", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.drop_after_answer:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture()
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type(
        "Handler", (_Recorder,), {"ports": [], "drop_after_answer": getattr(request, "param", False)}
    )
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def test_requests_of_a_thread_share_one_connection(server: tuple[str, type[_Recorder]]) -> None:
    url, handler = server
    client = HTTPClient(url, timeout_s=5.0)
    answers = [client.call("GET", f"/api/v1/x{i}") for i in range(20)]
    client.close()
    assert [status for status, _ in answers] == [200] * 20
    assert answers[7][1]["path"] == "/api/v1/x7"
    assert len(handler.ports) == 20 and len(set(handler.ports)) == 1


@pytest.mark.parametrize("server", [True], indirect=True)
def test_a_connection_the_server_dropped_is_replaced(server: tuple[str, type[_Recorder]]) -> None:
    url, handler = server
    client = HTTPClient(url, timeout_s=5.0)
    answers = [client.call("GET", f"/api/v1/x{i}") for i in range(3)]
    assert [status for status, _ in answers] == [200] * 3
    assert len(set(handler.ports)) == 3  # each request after a drop went over a new connection


def test_threads_keep_their_own_connections(server: tuple[str, type[_Recorder]]) -> None:
    url, handler = server
    client = HTTPClient(url, timeout_s=5.0)
    statuses: list[int] = []

    def work() -> None:
        for i in range(10):
            statuses.append(client.call("GET", f"/api/v1/y{i}")[0])
        client.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert statuses == [200] * 40
    assert len(set(handler.ports)) == 4
