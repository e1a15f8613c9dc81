"""The scale subresource: ``<resource>/<name>/scale`` as an ``autoscaling/v1`` Scale.

Upstream: the ScaleREST of each scalable registry (k/k
``pkg/registry/apps/deployment/storage/storage.go``, and the same for
replicasets and statefulsets; core/v1 ReplicationControllers have one too,
and spec/objects does not model that kind):

- GET answers ``scaleFrom<Kind>``: the owner's name, namespace, uid,
  resourceVersion and creationTimestamp; ``spec.replicas``; and
  ``status.replicas`` with ``status.selector``, the owner's selector in its
  string form (``LabelSelectorAsSelector(...).String()``).
- PUT and PATCH compute the new Scale from the current one (a patch is
  applied to the Scale, not to the owner), validate it (``ValidateScale``:
  ``spec.replicas`` >= 0), take its resourceVersion, if any, as the
  precondition, and write the owner with ``spec.replicas`` replaced: an
  ordinary update of the owner, so generation grows as for any spec change.

This module is the pure part (Scale out of an owner, an owner out of a
Scale); impl/apiserver/core.py routes the requests.

Requirement IDs: API-SCALE-SUBRESOURCE is declared in spec/apiserver.py.
"""

from __future__ import annotations

from typing import Any, Final

from spec import selectors
from spec.objects import apps
from spec.objects.meta import KindModel
from spec.objects.validation import FieldError
from spec.objects.validation.errors import Path as FieldPath
from spec.objects.validation.errors import invalid

#: The kinds of spec/objects with a scale subresource, as upstream registers them.
SCALABLE: Final = (apps.Deployment, apps.ReplicaSet, apps.StatefulSet)


def selector_string(owner: KindModel) -> str:
    """``status.selector``: the owner's selector as a label selector string."""
    selector = getattr(owner.spec, "selector", None)  # type: ignore[attr-defined]
    if selector is None:
        return ""
    return str(selectors.label_selector_as_selector(selector.to_selector()))


def scale_of(owner: KindModel, resource_version: str) -> dict[str, Any]:
    """The Scale upstream's ``scaleFrom<Kind>`` builds for ``owner``."""
    metadata: dict[str, Any] = {
        "name": owner.metadata.name,
        "namespace": owner.metadata.namespace,
        "uid": owner.metadata.uid,
        "resourceVersion": resource_version,
    }
    if owner.metadata.creation_timestamp is not None:
        metadata["creationTimestamp"] = owner.metadata.creation_timestamp.rfc3339()
    status: dict[str, Any] = {"replicas": owner.status.replicas or 0}  # type: ignore[attr-defined]
    selector = selector_string(owner)
    if selector:
        status["selector"] = selector
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": owner.spec.replicas},  # type: ignore[attr-defined]
        "status": status,
    }


def scale_errors(scale: Any) -> list[FieldError]:
    """``ValidateScale`` on a decoded Scale body (JSON): spec.replicas a non-negative integer."""
    spec = scale.get("spec") if isinstance(scale, dict) else None
    replicas = spec.get("replicas", 0) if isinstance(spec, dict) else 0
    if isinstance(replicas, bool) or not isinstance(replicas, int):
        return [invalid(FieldPath("spec.replicas"), replicas, "must be an integer")]
    if replicas < 0:
        return [invalid(FieldPath("spec.replicas"), replicas, "must be greater than or equal to 0")]
    return []


def with_replicas(owner: KindModel, scale: dict[str, Any]) -> KindModel:
    """The owner with the Scale's replicas and, as the precondition, its resourceVersion."""
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    version = (scale.get("metadata") or {}).get("resourceVersion") or ""
    return owner.replace(  # type: ignore[call-arg]
        metadata=owner.metadata.replace(resource_version=version),
        spec=owner.spec.replace(replicas=replicas),  # type: ignore[attr-defined]
    )
