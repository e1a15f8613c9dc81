"""meta/v1: what every object carries (ObjectMeta, owner references) and structured label selectors.

Upstream: kubernetes/apimachinery ``pkg/apis/meta/v1/types.go``
(``ObjectMeta``, ``OwnerReference``, ``LabelSelector``,
``LabelSelectorRequirement``). The meaning of a selector is not restated
here: ``LabelSelector.to_selector()`` hands it to ``spec.selectors``, which
models upstream's ``LabelSelectorAsSelector`` and matching.

Requirement IDs: none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from spec import selectors
from spec.objects.base import FrozenMap, Int64, Model, Seq, Time


class OwnerReference(Model):
    """An owner of this object; ``controller: true`` marks the managing one (garbage collection, adoption)."""

    api_version: str = ""
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool | None = None
    block_owner_deletion: bool | None = None


class ObjectMeta(Model):
    """``metadata``: identity, labels and annotations, ownership and the deletion state of an object."""

    name: str = ""
    generate_name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: Int64 = 0
    creation_timestamp: Time | None = None
    deletion_timestamp: Time | None = None
    deletion_grace_period_seconds: Int64 | None = None
    labels: FrozenMap[str, str] = FrozenMap()
    annotations: FrozenMap[str, str] = FrozenMap()
    owner_references: Seq[OwnerReference] = ()
    finalizers: Seq[str] = ()

    def controller_reference(self) -> OwnerReference | None:
        """The owner reference with ``controller: true``, if any (upstream ``metav1.GetControllerOf``)."""
        for reference in self.owner_references:
            if reference.controller:
                return reference
        return None


class LabelSelectorRequirement(Model):
    """One ``matchExpressions`` entry; the operator is kept as written (validation judges it)."""

    key: str = ""
    operator: str = ""
    values: Seq[str] = ()


class LabelSelector(Model):
    """``metav1.LabelSelector`` as written; ``to_selector`` gives its meaning."""

    match_labels: FrozenMap[str, str] = FrozenMap()
    match_expressions: Seq[LabelSelectorRequirement] = ()

    def to_selector(self) -> selectors.LabelSelector:
        """The ``spec.selectors`` form, which knows how to match and convert."""
        return selectors.LabelSelector(
            dict(self.match_labels),
            tuple(
                selectors.LabelSelectorRequirement(expression.key, expression.operator, expression.values)
                for expression in self.match_expressions
            ),
        )

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy the selector (empty matches all); ``SelectorError`` if malformed."""
        return self.to_selector().matches(labels)


class KindModel(Model):
    """A kind: a top-level object with ``apiVersion``, ``kind`` and ``metadata``.

    ``api_version`` and ``kind`` are class attributes, not fields: they say
    which class an object is, and ``spec.objects.registry.to_dict`` writes
    them first, as upstream does.
    """

    api_version: ClassVar[str]
    kind: ClassVar[str]

    metadata: ObjectMeta = ObjectMeta()
