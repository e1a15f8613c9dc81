"""The scheduler suite: decisions of ``--impl``'s scheduler against the spec's filters, scores and Z3."""
