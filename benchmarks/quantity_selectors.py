"""Parse throughput of the spec's value types: quantities/s, label selectors/s, field selectors/s.

The spec is written to be read, not to be fast; these figures say how much
of it a property test or a reference component can afford per second. A
fixed corpus of realistic strings (from one seed) is parsed over and over;
label selector matching is measured too. Nothing is asserted (DESIGN.md,
"Running").

    python benchmarks/quantity_selectors.py --count 50000 --seed 1
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spec.quantity import parse_quantity
from spec.selectors import Selector, parse_field_selector, parse_selector

Item = TypeVar("Item")

_QUANTITY_SUFFIXES = ["", "m", "k", "M", "G", "Ki", "Mi", "Gi", "e3", "e-3"]
_KEYS = ["app", "tier", "env", "app.kubernetes.io/name", "example.com/team", "zone"]
_VALUES = ["web", "db", "prod", "staging", "v1", "1", ""]
_FIELDS = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase"]


def quantity_corpus(rng: random.Random, size: int) -> list[str]:
    corpus = []
    for _ in range(size):
        number = str(rng.choice([1, 2, 100, 250, 500, 1024, 1536, 4096, 123456]))
        if rng.random() < 0.3:
            number += "." + str(rng.randrange(1, 1000))
        corpus.append(rng.choice(["", "", "", "-"]) + number + rng.choice(_QUANTITY_SUFFIXES))
    return corpus


def label_selector_corpus(rng: random.Random, size: int) -> list[str]:
    corpus = []
    for _ in range(size):
        terms = []
        for _ in range(rng.randint(1, 4)):
            key, values = rng.choice(_KEYS), rng.sample(_VALUES, rng.randint(1, 3))
            terms.append(
                rng.choice(
                    [
                        f"{key}={values[0]}",
                        f"{key}!={values[0]}",
                        f"{key} in ({','.join(values)})",
                        f"{key} notin ({','.join(values)})",
                        key,
                        f"!{key}",
                    ]
                )
            )
        corpus.append(",".join(terms))
    return corpus


def field_selector_corpus(rng: random.Random, size: int) -> list[str]:
    return [
        ",".join(
            f"{rng.choice(_FIELDS)}{rng.choice(['=', '==', '!='])}{rng.choice(_VALUES)}"
            for _ in range(rng.randint(1, 3))
        )
        for _ in range(size)
    ]


def rate(function: Callable[[Item], object], corpus: Sequence[Item], count: int) -> float:
    """Calls per second of ``function`` over ``count`` items cycling through ``corpus``."""
    start = time.perf_counter()
    for index in range(count):
        function(corpus[index % len(corpus)])
    return count / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=50_000, help="items parsed per figure")
    parser.add_argument("--seed", type=int, default=1, help="seed of the corpus")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    quantities = quantity_corpus(rng, 1000)
    label_selectors = label_selector_corpus(rng, 1000)
    field_selectors = field_selector_corpus(rng, 1000)
    label_sets = [
        {key: rng.choice(_VALUES) for key in rng.sample(_KEYS, rng.randint(0, len(_KEYS)))}
        for _ in range(1000)
    ]
    pairs = [(parse_selector(text), labels) for text, labels in zip(label_selectors, label_sets, strict=True)]

    def matches(pair: tuple[Selector, dict[str, str]]) -> bool:
        return pair[0].matches(pair[1])

    print(f"python {platform.python_version()} on {platform.machine()}, {args.count} items per figure")
    print(f"quantities parsed:      {rate(parse_quantity, quantities, args.count):>10,.0f} /s")
    print(f"label selectors parsed: {rate(parse_selector, label_selectors, args.count):>10,.0f} /s")
    print(f"field selectors parsed: {rate(parse_field_selector, field_selectors, args.count):>10,.0f} /s")
    print(f"label selector matches: {rate(matches, pairs, args.count):>10,.0f} /s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
