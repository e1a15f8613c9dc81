"""The mutating admission the API server applies to pods it creates by default.

What it models (the default-enabled plugins of kube-apiserver that change
objects, for the kinds of spec/objects):

- **DefaultTolerationSeconds** (k/k
  ``plugin/pkg/admission/defaulttolerationseconds/admission.go``): a pod
  that does not already tolerate ``node.kubernetes.io/not-ready:NoExecute``
  gets ``{key: node.kubernetes.io/not-ready, operator: Exists, effect:
  NoExecute, tolerationSeconds: 300}``, and the same for
  ``node.kubernetes.io/unreachable``. A toleration counts when its key is
  that taint's or empty, and its effect NoExecute or empty (upstream does
  not look at the operator). Pods proper only, on create and update.
- **ServiceAccount** (k/k ``plugin/pkg/admission/serviceaccount/
  admission.go``): a pod created without ``spec.serviceAccountName`` gets
  ``default``. What is not modelled, and why: upstream then refuses the pod
  when that ServiceAccount does not exist, which needs the ServiceAccount
  controller that creates one per namespace (the controllers issue), and it
  mounts a projected token volume (``kube-api-access-<random>``), which
  needs the token signer (the security issue).

NamespaceLifecycle (which refuses content in terminating namespaces) is a
validating plugin and lives with the namespace model in spec/apiserver.py.

Requirement IDs defined here (component "apiserver"):
API-ADMISSION-TOLERATIONS, API-ADMISSION-SERVICEACCOUNT.
"""

from __future__ import annotations

from typing import Final

from spec.objects import core
from spec.objects.meta import KindModel
from spec.requirements import requirement

API_ADMISSION_TOLERATIONS = requirement(
    "API-ADMISSION-TOLERATIONS",
    "A pod written without a toleration of node.kubernetes.io/not-ready (or unreachable) with effect "
    "NoExecute (a toleration with that key or an empty key, and effect NoExecute or empty) MUST be stored "
    "with {key, operator: Exists, effect: NoExecute, tolerationSeconds: 300} for it; other tolerations "
    "MUST be kept as they were.",
    component="apiserver",
    source="k/k plugin/pkg/admission/defaulttolerationseconds/admission.go",
)
API_ADMISSION_SERVICEACCOUNT = requirement(
    "API-ADMISSION-SERVICEACCOUNT",
    "A pod created without spec.serviceAccountName MUST be stored with serviceAccountName default.",
    component="apiserver",
    source="k/k plugin/pkg/admission/serviceaccount/admission.go",
)

TAINT_NODE_NOT_READY: Final = "node.kubernetes.io/not-ready"
TAINT_NODE_UNREACHABLE: Final = "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS: Final = 300
DEFAULT_SERVICE_ACCOUNT: Final = "default"


def tolerates_no_execute(tolerations: tuple[core.Toleration, ...], key: str) -> bool:
    """Whether some toleration covers ``key``:NoExecute as the plugin judges it (key and effect only)."""
    return any(t.key in (key, "") and t.effect in ("NoExecute", "") for t in tolerations)


def default_tolerations(pod: core.Pod) -> core.Pod:
    """DefaultTolerationSeconds: the two NoExecute tolerations added where the pod lacks them."""
    tolerations = tuple(pod.spec.tolerations)
    added = tuple(
        core.Toleration(
            key=key, operator="Exists", effect="NoExecute", toleration_seconds=DEFAULT_TOLERATION_SECONDS
        )
        for key in (TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE)
        if not tolerates_no_execute(tolerations, key)
    )
    if not added:
        return pod
    return pod.replace(spec=pod.spec.replace(tolerations=(*tolerations, *added)))


def default_service_account(pod: core.Pod) -> core.Pod:
    """ServiceAccount admission's defaulting: ``default`` for a pod that names none."""
    if pod.spec.service_account_name:
        return pod
    return pod.replace(spec=pod.spec.replace(service_account_name=DEFAULT_SERVICE_ACCOUNT))


def admit_create(obj: KindModel) -> KindModel:
    """What the mutating plugins make of ``obj`` on create (after defaulting, before validation)."""
    if isinstance(obj, core.Pod):
        return default_tolerations(default_service_account(obj))
    return obj


def admit_update(obj: KindModel) -> KindModel:
    """What the mutating plugins make of ``obj`` on update of the object itself (not a subresource)."""
    if isinstance(obj, core.Pod):
        return default_tolerations(obj)
    return obj
