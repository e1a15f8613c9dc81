"""``python -m invariants``: see ``invariants.report``."""

from invariants.report import main

raise SystemExit(main())
