"""Load an implementation by name: ``reference``, an entry-point name in the
group ``kspec.implementations``, or ``package.module:factory``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from spec.requirements import COMPONENTS

ENTRY_POINT_GROUP = "kspec.implementations"
#: ``--impl kubeconfig:PATH``: the API server a kubeconfig names.
KUBECONFIG_PREFIX = "kubeconfig:"

# The reference implementation (in the simulator, and its etcd in real mode) is
# always known, even when kspec runs from a source tree that was never installed
# (no entry points registered then) or installed from an older tree.
_BUILT_IN = {
    "reference": "impl.reference:implementation",
    "reference-etcd": "impl.peers.etcd:implementation_reference",
}


class ImplementationError(Exception):
    """The named implementation cannot be loaded; the message is one readable line."""


@dataclass(frozen=True)
class Implementation:
    """An implementation as the suite sees it: which components it provides, and how."""

    name: str
    description: str
    components: Mapping[str, Any] = field(default_factory=dict)

    def provides(self, component: str) -> bool:
        return component in self.components

    def component(self, component: str) -> Any:
        try:
            return self.components[component]
        except KeyError:
            raise ImplementationError(
                f"implementation {self.name!r} does not provide component {component!r}"
            ) from None


def known_implementations() -> dict[str, str]:
    """Name -> ``module:attr`` for every implementation that can be named without a path."""
    known = dict(_BUILT_IN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        known[ep.name] = ep.value
    return dict(sorted(known.items()))


def load_implementation(name: str) -> Implementation:
    if name.startswith(KUBECONFIG_PREFIX):
        # A cluster someone else runs: only the apiserver suite applies.
        target = "impl.apiserver.provider:kubeconfig_implementation"
        path = name[len(KUBECONFIG_PREFIX) :]
        if not path:
            raise ImplementationError("--impl kubeconfig:PATH needs the path of a kubeconfig file")
        provided = _resolve(name, target)(path)  # type: ignore[call-arg]
        return _describe(name, target, provided)
    known = known_implementations()
    target = known.get(name)
    if target is None:
        if ":" not in name:
            raise ImplementationError(
                f"unknown implementation {name!r}; known: {', '.join(known)} (or give package.module:factory)"
            )
        target = name
    factory = _resolve(name, target)
    try:
        provided = factory()
    except Exception as exc:  # a user's factory may fail in any way; say so in one line
        raise ImplementationError(f"implementation {name!r}: factory {target} failed: {exc!r}") from exc
    return _describe(name, target, provided)


def _resolve(name: str, target: str) -> Callable[[], Any]:
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ImplementationError(
            f"implementation {name!r}: {target!r} is not of the form package.module:factory"
        )
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ImplementationError(f"implementation {name!r}: cannot import {module_name!r}: {exc!r}") from exc
    obj: Any = module
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ImplementationError(
                f"implementation {name!r}: {module_name!r} has no attribute {attr!r}"
            ) from None
    if not callable(obj):
        raise ImplementationError(f"implementation {name!r}: {target} is not callable")
    return obj  # type: ignore[no-any-return]


def _describe(name: str, target: str, provided: Any) -> Implementation:
    components = getattr(provided, "components", None)
    if not isinstance(components, Mapping):
        raise ImplementationError(
            f"implementation {name!r}: {target} returned {type(provided).__name__}, "
            "which has no 'components' mapping"
        )
    unknown = sorted(set(components) - set(COMPONENTS))
    if unknown:
        raise ImplementationError(
            f"implementation {name!r} declares unknown component(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(COMPONENTS)}"
        )
    return Implementation(
        name=str(getattr(provided, "name", name)),
        description=str(getattr(provided, "description", "")),
        components=dict(components),
    )
