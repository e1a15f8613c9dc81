"""Linearizability checker: time to check the ground-truth histories and a large generated one.

Prints the total time over every Jepsen etcd history (a compare-and-set
register) and the slowest one; the time of each kv-append history (a
key-value store, checked per key); and the time of a generated history of a
linearizable key-value store with get and put (default 10,000 operations, 8
clients, 100 keys, 5 % of the puts with an unknown outcome). A figure, not
a test: nothing is asserted (DESIGN.md, "Running"); tests/checkers checks
the verdicts.

    python benchmarks/linearizability.py --ops 10000 --clients 8 --keys 100 --unknown 0.05 --seed 1
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.checkers import check
from tests.checkers.histories import (
    JEPSEN_ETCD,
    KV_APPEND,
    KvModel,
    RegisterModel,
    generated_kv_history,
    load_jepsen,
    load_kv,
    verdicts,
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--keys", type=int, default=100)
    parser.add_argument(
        "--unknown", type=float, default=0.05, help="fraction of puts with an unknown outcome"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60.0, help="budget per history, seconds")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}")

    expected = verdicts(JEPSEN_ETCD)
    total, slowest, slowest_name, agree = 0.0, 0.0, "", 0
    names = sorted(path.name for path in JEPSEN_ETCD.glob("*.log"))
    for name in names:
        result = check(RegisterModel(), load_jepsen(name), timeout_s=args.timeout)
        total += result.elapsed_s
        if result.elapsed_s > slowest:
            slowest, slowest_name = result.elapsed_s, name
        if name in expected and result.linearizable == expected[name]:
            agree += 1
    print(
        f"jepsen-etcd: {len(names)} histories in {total:.3f} s; slowest {slowest_name} {slowest:.3f} s; "
        f"{agree}/{len(expected)} verdicts agree"
    )

    for name, linearizable in verdicts(KV_APPEND).items():
        history = load_kv(name)
        result = check(KvModel(), history, timeout_s=args.timeout)
        searched = sum(p.configurations for p in result.partitions)
        print(
            f"kv-append {name}: {len(history)} operations, {result.verdict} (expected "
            f"{'linearizable' if linearizable else 'not linearizable'}) in {result.elapsed_s:.3f} s, "
            f"{searched} configurations"
        )

    started = time.perf_counter()
    history = generated_kv_history(args.ops, args.clients, args.keys, args.unknown, args.seed)
    generated_in = time.perf_counter() - started
    unknown = sum(not op.outcome_known for op in history)
    result = check(KvModel(), history, timeout_s=args.timeout)
    print(
        f"generated kv get/put: {len(history)} operations, {args.clients} clients, {args.keys} keys, "
        f"{unknown} with unknown outcome (generated in {generated_in:.2f} s): {result.verdict} in "
        f"{result.elapsed_s:.3f} s, {sum(p.configurations for p in result.partitions)} configurations, "
        f"slowest key {max(p.elapsed_s for p in result.partitions):.3f} s"
    )


if __name__ == "__main__":
    main()
