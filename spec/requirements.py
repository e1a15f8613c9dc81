"""The requirement registry: every property the suite checks, declared once.

A requirement has an ID (``KV-REV-1``, ``RAFT-SAFE-ELECTION``), a one-line
statement written with MUST, the component it belongs to, and its source (a
section of the seed document, or upstream Kubernetes/etcd behaviour). Spec
modules declare their requirements next to the predicates that define them::

    REG_READ_LATEST = requirement(
        "REG-READ-LATEST",
        "A read MUST return the value of the latest acknowledged write.",
        component="register",
        source="seed: etcd is strongly consistent",
    )

Tests say which requirement they check with
``@pytest.mark.requirement("REG-READ-LATEST")``; the pytest plugin rejects
unknown IDs at collection time and reports a verdict per requirement, the way
Kubernetes' ``conformance.yaml`` ties e2e tests to MUST statements.
``docs/requirements.md`` is generated from this registry (``kspec
requirements --write``) and a test fails when it is stale.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

#: What the suite knows how to test; an implementation provides some of them
#: (DESIGN.md, "Implementations and adapters"). ``register`` is the first
#: end-to-end slice, a replicated register, until consensus replaces it.
COMPONENTS: tuple[str, ...] = (
    "register",
    "consensus",
    "kv",
    "faults",
    "scheduler",
    "apiserver",
    "controllers",
    "node",
)

# Upper-case words joined by dashes: KV-REV-1, RAFT-SAFE-ELECTION.
_ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


@dataclass(frozen=True)
class Requirement:
    id: str
    statement: str
    component: str
    source: str
    module: str


class RequirementError(ValueError):
    """A requirement declaration is malformed or declared twice."""


_REGISTRY: dict[str, Requirement] = {}


def requirement(id: str, statement: str, *, component: str, source: str) -> Requirement:
    """Declare a requirement; returns it so the declaring module can name it."""
    if not _ID_PATTERN.match(id):
        raise RequirementError(f"requirement ID {id!r} must look like KV-REV-1 (upper case, dashes)")
    if "MUST" not in statement:
        raise RequirementError(f"requirement {id}: the statement must say MUST: {statement!r}")
    if component not in COMPONENTS:
        raise RequirementError(
            f"requirement {id}: unknown component {component!r}; known: {', '.join(COMPONENTS)}"
        )
    if not source.strip():
        raise RequirementError(f"requirement {id}: a source is required")
    module = _caller_module()
    declared = Requirement(id=id, statement=statement, component=component, source=source, module=module)
    existing = _REGISTRY.get(id)
    if existing is not None and existing != declared:
        raise RequirementError(f"requirement {id} declared twice: in {existing.module} and {module}")
    _REGISTRY[id] = declared
    return declared


def _caller_module() -> str:
    import sys

    frame = sys._getframe(2)
    return str(frame.f_globals.get("__name__", "?"))


def load_all() -> dict[str, Requirement]:
    """Import every module of the ``spec`` package so that all requirements are declared."""
    import spec

    for info in pkgutil.walk_packages(spec.__path__, prefix="spec."):
        importlib.import_module(info.name)
    return registry()


def registry() -> dict[str, Requirement]:
    """The requirements declared so far, by ID (a copy)."""
    return dict(sorted(_REGISTRY.items()))


def render_markdown(requirements: dict[str, Requirement]) -> str:
    """``docs/requirements.md``: every requirement, grouped by component."""
    lines = [
        "# Requirements",
        "",
        "Generated from the registry in `spec/` by `kspec requirements --write`;",
        "do not edit by hand (a test fails when this file is stale).",
        "",
    ]
    for component in COMPONENTS:
        declared = [r for r in requirements.values() if r.component == component]
        if not declared:
            continue
        lines += [f"## {component}", "", "| ID | statement | source | declared in |", "|---|---|---|---|"]
        for req in declared:
            lines.append(f"| `{req.id}` | {_cell(req.statement)} | {_cell(req.source)} | `{req.module}` |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
