"""Run every benchmark in this folder, one after another; each prints its own figures.

Nothing is asserted: speed targets are read from the figures (DESIGN.md,
"Running"). Each runs with its defaults; run one directly to change them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

#: Soaks run for as long as they are told (20 or 40 minutes by default): ``tox -e deep`` runs them.
SOAKS = frozenset({"consensus_soak.py", "workloads_soak.py"})


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in sorted(here.glob("*.py")):
        if script.name == Path(__file__).name or script.name in SOAKS:
            continue
        print(f"== {script.name}", flush=True)
        if subprocess.run([sys.executable, str(script)], check=False).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"benchmarks that failed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
