"""What a pod tolerates and which nodes its node affinity admits: upstream's core/v1 scheduling helpers.

The scheduler's TaintToleration and NodeAffinity filters and the DaemonSet
controller's eligibility check call the same upstream helpers, and so do
``spec.scheduling.filters`` and ``spec.workloads.daemonset``:

- ``k8s.io/api/core/v1/toleration.go`` ``ToleratesTaint`` and
  ``component-helpers/scheduling/corev1`` ``FindMatchingUntoleratedTaint``
  (``tolerates``, ``find_untolerated_taint``, ``untolerated_taints``);
- ``component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go``
  ``GetRequiredNodeAffinity(pod).Match(node)``: nodeSelector ANDed with the
  required nodeSelectorTerms, terms ORed, expressions ANDed, an empty term
  or one that does not parse matches nothing, matchFields only ``In`` /
  ``NotIn`` with one value against ``metadata.name``
  (``required_node_affinity_matches``).

Requirement IDs: none (the filters and the DaemonSet module declare theirs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from spec import selectors
from spec.objects.core import Node, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, Toleration

# -- tolerations ---------------------------------------------------------------------------


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    """``Toleration.ToleratesTaint``: an empty effect matches every effect, an empty key every key.

    The operator is ``Equal`` (the values must be equal) when empty;
    ``Exists`` ignores the value; any other operator tolerates nothing.
    """
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator in ("", "Equal"):
        return toleration.value == taint.value
    return toleration.operator == "Exists"


def tolerations_tolerate_taint(tolerations: Iterable[Toleration], taint: Taint) -> bool:
    return any(tolerates(toleration, taint) for toleration in tolerations)


def find_untolerated_taint(
    taints: Iterable[Taint],
    tolerations: Sequence[Toleration],
    effects: Sequence[str] = ("NoSchedule", "NoExecute"),
) -> Taint | None:
    """The first taint with one of ``effects`` that no toleration tolerates.

    Upstream ``FindMatchingUntoleratedTaint``.
    """
    for taint in taints:
        if taint.effect in effects and not tolerations_tolerate_taint(tolerations, taint):
            return taint
    return None


def untolerated_taints(
    taints: Iterable[Taint], tolerations: Sequence[Toleration], effects: Sequence[str]
) -> list[Taint]:
    """Every taint with one of ``effects`` that no toleration tolerates, in the node's order."""
    return [t for t in taints if t.effect in effects and not tolerations_tolerate_taint(tolerations, t)]


# -- node affinity -------------------------------------------------------------------------


_NODE_SELECTOR_OPERATORS: Final[dict[str, selectors.Operator]] = {
    "In": selectors.Operator.IN,
    "NotIn": selectors.Operator.NOT_IN,
    "Exists": selectors.Operator.EXISTS,
    "DoesNotExist": selectors.Operator.DOES_NOT_EXIST,
    "Gt": selectors.Operator.GREATER_THAN,
    "Lt": selectors.Operator.LESS_THAN,
}


def _expression_as_requirement(expression: NodeSelectorRequirement) -> selectors.Requirement | None:
    """A matchExpressions entry as a label requirement, or None when upstream cannot parse it."""
    operator = _NODE_SELECTOR_OPERATORS.get(expression.operator)
    if operator is None or selectors.requirement_errors(expression.key, operator, expression.values):
        return None
    return selectors.Requirement(expression.key, operator, tuple(expression.values))


def _field_matches(expression: NodeSelectorRequirement, fields: Mapping[str, str]) -> bool | None:
    """A matchFields entry: In/NotIn with exactly one value; None when it does not parse."""
    if expression.operator not in ("In", "NotIn") or len(expression.values) != 1:
        return None
    # fields.Set reads an absent field as "".
    equal = fields.get(expression.key, "") == expression.values[0]
    return equal if expression.operator == "In" else not equal


def node_selector_term_matches(term: NodeSelectorTerm, node: Node) -> bool:
    """One nodeSelectorTerm: expressions ANDed with fields; empty or unparsable terms match nothing."""
    if not term.match_expressions and not term.match_fields:
        return False
    requirements = [_expression_as_requirement(e) for e in term.match_expressions]
    fields = {"metadata.name": node.metadata.name} if node.metadata.name else {}
    field_results = [_field_matches(e, fields) for e in term.match_fields]
    if any(r is None for r in requirements) or any(r is None for r in field_results):
        return False
    if not all(r.matches(node.metadata.labels) for r in requirements if r is not None):
        return False
    # nodeaffinity.go checks fields only when the node has any (a name).
    return not fields or all(field_results)


def required_node_affinity_matches(spec: PodSpec, node: Node) -> bool:
    """``GetRequiredNodeAffinity(pod).Match(node)``: nodeSelector, then the required terms ORed."""
    labels = node.metadata.labels
    if any(labels.get(key) != value for key, value in spec.node_selector.items()):
        return False
    affinity = spec.affinity
    if affinity is None or affinity.node_affinity is None:
        return True
    required = affinity.node_affinity.required_during_scheduling_ignored_during_execution
    if required is None:
        return True
    return any(node_selector_term_matches(term, node) for term in required.node_selector_terms)
