"""History checkers of the suite (DESIGN.md, "The suite"): a recorded history
of concurrent operations goes in, a verdict and a readable explanation come
out. ``linearizability`` checks against a sequential model."""

from conformance.checkers.linearizability import (
    UNKNOWN,
    Blocked,
    DescribedOperation,
    LinearizabilityResult,
    Model,
    Operation,
    PartitionResult,
    UnknownOutput,
    Verdict,
    Violation,
    check,
    partition_by,
    render_html,
    render_timeline,
)

__all__ = [
    "UNKNOWN",
    "Blocked",
    "DescribedOperation",
    "LinearizabilityResult",
    "Model",
    "Operation",
    "PartitionResult",
    "UnknownOutput",
    "Verdict",
    "Violation",
    "check",
    "partition_by",
    "render_html",
    "render_timeline",
]
