"""storage.k8s.io/v1: StorageClass.

Upstream: kubernetes/api ``storage/v1/types.go``. A StorageClass has no
spec: its fields sit at the top level. Defaults (reclaimPolicy Delete,
volumeBindingMode Immediate) are in ``spec.objects.defaults`` (k/k
``pkg/apis/storage/v1/defaults.go``).

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.objects.base import FrozenMap, Model, Seq
from spec.objects.meta import KindModel

VOLUME_BINDING_MODES: Final = ("Immediate", "WaitForFirstConsumer")
#: The annotation that makes a class the default one.
IS_DEFAULT_CLASS_ANNOTATION: Final = "storageclass.kubernetes.io/is-default-class"


class TopologySelectorLabelRequirement(Model):
    key: str = ""
    values: Seq[str] = ()


class TopologySelectorTerm(Model):
    match_label_expressions: Seq[TopologySelectorLabelRequirement] = ()


class StorageClass(KindModel):
    api_version: ClassVar[str] = "storage.k8s.io/v1"
    kind: ClassVar[str] = "StorageClass"

    provisioner: str = ""
    parameters: FrozenMap[str, str] = FrozenMap()
    reclaim_policy: str | None = None
    mount_options: Seq[str] = ()
    allow_volume_expansion: bool | None = None
    volume_binding_mode: str | None = None
    allowed_topologies: Seq[TopologySelectorTerm] = ()
