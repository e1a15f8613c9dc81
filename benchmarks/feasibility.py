"""The feasibility oracle (invariants/feasibility.py): time to decide generated problems, by size.

For each size (pending pods x nodes; default 10x10, 50x20, 100x50 and
200x100, as issue 6 asks) it generates seeded problems with every kind of
constraint on (requests, pod counts, taints, node selectors and affinity,
host ports, hostname anti-affinity, zone pod affinity, hard topology
spread) and half as many bound pods as nodes, at a light load (most are
feasible) and at an overload (infeasible: the unsat core is minimised).
It prints the time to build the encoding, to decide (the first solver
call), and with the core minimised; the verdicts and the cores' sizes. A
figure, not a test: nothing is asserted (DESIGN.md, "Running");
tests/invariants checks the answers.

    python benchmarks/feasibility.py --sizes 10x10,50x20,100x50,200x100 --problems 3 --seed 1
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from invariants.feasibility import Answer, FeasibilityEncoding, Infeasible
from invariants.framework import SolverUnknown
from invariants.snapshots import SeededChoices, Shape, generate_problem


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        pods, _, nodes = item.partition("x")
        if not (pods.isdigit() and nodes.isdigit()) or int(pods) < 1 or int(nodes) < 1:
            raise argparse.ArgumentTypeError(f"a size is PODSxNODES with both >= 1, not {item!r}")
        sizes.append((int(pods), int(nodes)))
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("10x10,50x20,100x50,200x100"))
    parser.add_argument("--problems", type=int, default=3, help="problems per size and load (default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--timeout", type=int, default=60, help="seconds Z3 may take per problem (default 60)"
    )
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, seed {args.seed}")
    print("times in s: encode and decide (median), encode + decide (max), with the core minimised (max)")
    print(f"{'size':>9} {'load':>5} {'encode':>7} {'decide':>7} {'max':>7} {'core':>7}  verdicts, core sizes")
    for pods, nodes in args.sizes:
        for load in (40, 150):
            encode_times, decide_times, decided, totals = [], [], [], []
            verdicts, cores = [], []
            for index in range(args.problems):
                choices = SeededChoices(args.seed * 1_000_003 + pods * 1_009 + nodes * 17 + load + index)
                shape = Shape(
                    pods=pods,
                    nodes=nodes,
                    existing=nodes // 2,
                    load=load,
                    zones=3,
                    affinity=True,
                    spread=True,
                    # Zone anti-affinity among 6 apps in 3 zones walls off every zone within a few
                    # dozen pods: at these sizes it makes every problem trivially infeasible.
                    zone_anti_affinity=False,
                )
                problem = generate_problem(choices, shape)
                started = time.perf_counter()
                encoding = FeasibilityEncoding(problem)
                encoded = time.perf_counter()
                try:
                    answer: Answer | None = encoding.solve(timeout_ms=args.timeout * 1000)
                except SolverUnknown:
                    answer = None
                solved = time.perf_counter()
                decide = solved - encoded
                if isinstance(answer, Infeasible):
                    decide = answer.decided_seconds
                encode_times.append(encoded - started)
                decide_times.append(decide)
                decided.append(encoded - started + decide)
                totals.append(solved - started)
                if answer is None:
                    verdicts.append(f"undecided in {args.timeout} s")
                else:
                    verdicts.append("feasible" if answer.feasible else "infeasible")
                if isinstance(answer, Infeasible):
                    cores.append(f"{len(answer.core)}{'' if answer.minimal else '+'}")
            summary = ", ".join(f"{verdicts.count(v)} {v}" for v in sorted(set(verdicts)))
            core_text = f"; core sizes {', '.join(cores)} (+: minimising cut short)" if cores else ""
            print(
                f"{pods:>4}x{nodes:<4} {load:>4}% {statistics.median(encode_times):>7.2f} "
                f"{statistics.median(decide_times):>7.2f} {max(decided):>7.2f} {max(totals):>7.2f}  "
                f"{summary}{core_text}",
                flush=True,
            )


if __name__ == "__main__":
    main()
