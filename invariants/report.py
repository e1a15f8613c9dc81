"""``python -m invariants``: prove every registered invariant and print a table.

Columns: the invariant (requirement ID and proof method), its MUST statement
(from ``spec``'s registry), the bounds the proof covers, the result and the
time it took. Counterexamples and solver give-ups are listed under the
table. The exit status is 0 only when every selected invariant is proved: a
counterexample or an unknown (solver timeout) is not a proof.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import time
from collections.abc import Sequence
from typing import Any

from invariants.framework import DEFAULT_TIMEOUT_MS, Invariant, ProofResult, load_all

_HEADERS = ("invariant", "statement", "bounds", "result", "time")
_STATEMENT_WIDTH = 60


def prove_all(
    invariants: Sequence[Invariant[Any]], *, timeout_ms: int = DEFAULT_TIMEOUT_MS
) -> list[ProofResult]:
    return [invariant.prove(timeout_ms=timeout_ms) for invariant in invariants]


def render_table(results: Sequence[ProofResult]) -> str:
    """The table, one row per result; long statements wrap inside their column."""
    rows: list[list[list[str]]] = []
    for result in results:
        rows.append(
            [
                [result.key],
                textwrap.wrap(result.statement, _STATEMENT_WIDTH) or [""],
                [result.bounds],
                [result.outcome],
                [f"{result.seconds:.2f} s"],
            ]
        )
    widths = [
        max([len(header), *(len(line) for row in rows for line in row[column])])
        for column, header in enumerate(_HEADERS)
    ]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()

    out = [line(_HEADERS), line(["-" * width for width in widths])]
    for row in rows:
        height = max(len(cell) for cell in row)
        for i in range(height):
            out.append(line([cell[i] if i < len(cell) else "" for cell in row]))
    failures = [result for result in results if not result.proved]
    if failures:
        out.append("")
        for result in failures:
            detail = str(result.counterexample) if result.counterexample is not None else result.reason
            out.append(f"{result.key}: {result.outcome}: {detail}")
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m invariants", description="Prove the spec's invariants with Z3 and print a table."
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="requirement IDs or ID:method keys to prove (default: all)"
    )
    parser.add_argument(
        "--timeout-ms",
        type=int,
        default=DEFAULT_TIMEOUT_MS,
        help="per solver call; past it the result is unknown",
    )
    args = parser.parse_args(argv)

    registered = load_all()
    selected = list(registered.values())
    if args.names:
        unknown = [name for name in args.names if not any(name in (i.key, i.id) for i in selected)]
        if unknown:
            known = ", ".join(registered)
            print(f"unknown invariant(s): {', '.join(unknown)}; known: {known}", file=sys.stderr)
            return 2
        selected = [i for i in selected if i.key in args.names or i.id in args.names]

    started = time.perf_counter()
    results = prove_all(selected, timeout_ms=args.timeout_ms)
    sys.stdout.write(render_table(results))
    proved = sum(result.proved for result in results)
    print(f"\n{proved} of {len(results)} proved in {time.perf_counter() - started:.2f} s")
    return 0 if proved == len(results) else 1
