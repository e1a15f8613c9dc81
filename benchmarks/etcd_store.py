"""The reference etcd's store and watch hub alone (impl/etcd/store.py, watch.py): puts/s, ranges/s and
watch events/s.

No Raft, no simulator: requests are applied directly, as the apply loop
would. Puts go to ``--keys`` keys round-robin (``/registry/pods/...``, the API
server's layout); ranges read one key at the latest revision, then a prefix
of 100 keys; watch events are counted as delivered to ``--watchers`` synced
watchers on the whole keyspace (every put reaches each), and to one watcher
catching up from revision 1 with prev_kv. A figure, not a test: nothing is
asserted (DESIGN.md, "Running").

    python benchmarks/etcd_store.py --puts 50000 --keys 5000 --ranges 20000 --watchers 4
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from impl.etcd.store import EtcdStore
from impl.etcd.watch import WatchHub
from spec.kv import PutRequest, RangeRequest, WatchCreateRequest, prefix_end


def key(i: int) -> bytes:
    return b"/registry/pods/%08d" % i


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s ({count:,} in {seconds:.2f} s)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--puts", type=int, default=50_000)
    parser.add_argument("--keys", type=int, default=5_000)
    parser.add_argument("--ranges", type=int, default=20_000)
    parser.add_argument("--watchers", type=int, default=4)
    args = parser.parse_args()
    if min(args.puts, args.keys, args.ranges) < 1 or args.watchers < 0:
        parser.error("--puts, --keys and --ranges must be >= 1, --watchers >= 0")
    print(f"python {platform.python_version()} on {platform.machine()}")
    print(f"{args.puts:,} puts over {args.keys:,} keys")

    store = EtcdStore()
    started = time.perf_counter()
    for i in range(args.puts):
        store.apply(PutRequest(key(i % args.keys), b"v%d" % i))
    print(f"puts, no watcher                  {rate(args.puts, time.perf_counter() - started)}")

    started = time.perf_counter()
    for i in range(args.ranges):
        store.apply(RangeRequest(key(i % args.keys)))
    print(f"ranges of one key                 {rate(args.ranges, time.perf_counter() - started)}")
    prefix = b"/registry/pods/000000"  # 100 keys when --keys >= 100
    count = max(args.ranges // 100, 1)
    started = time.perf_counter()
    for _ in range(count):
        store.apply(RangeRequest(prefix, prefix_end(prefix)))
    print(f"ranges of a 100-key prefix        {rate(count, time.perf_counter() - started)}")

    watched = EtcdStore()
    hub = WatchHub(watched)
    watchers = [hub.create(WatchCreateRequest(b"\0", b"\0")) for _ in range(args.watchers)]
    started = time.perf_counter()
    for i in range(args.puts):
        watched.apply(PutRequest(key(i % args.keys), b"v%d" % i))
        if i % 1000 == 999:
            for watcher in watchers:
                watcher.responses.clear()  # what a stream does as it sends
    elapsed = time.perf_counter() - started
    print(f"puts, {args.watchers} synced watchers         {rate(args.puts, elapsed)}")
    print(f"  watch events delivered          {rate(args.puts * args.watchers, elapsed)}")

    started = time.perf_counter()
    catching_up = hub.create(WatchCreateRequest(b"\0", b"\0", start_revision=1, prev_kv=True))
    events = sum(len(response.events) for response in catching_up.responses)
    print(f"catch-up from revision 1, prev_kv {rate(events, time.perf_counter() - started)}")


if __name__ == "__main__":
    main()
