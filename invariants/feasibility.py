"""The scheduling feasibility oracle: can every pending pod be placed at once? A placement, or why not.

What it decides: given a ``ClusterSnapshot`` (nodes, bound pods) and pending
pods in queue order, is there a node for each pending pod such that placing
them one after another in that order -- each checked by every filter of
``spec.scheduling.filters`` against the snapshot plus the pods placed before
it -- never meets a rejection? ``solve`` answers ``Feasible`` with the
placement, or ``Infeasible`` with an unsat core named in spec terms ("pod
default/web-3 must be placed on one of node-1, node-2 (3 nodes rejected it
alone: ...)", "node node-1: cpu requests placed there must fit in 4000m
allocatable - 3000m requested = 1000m").

How (one Bool ``x[pod, node]`` per pair):

- Static filters (NodeUnschedulable, NodeName, TaintToleration,
  NodeAffinity) depend on the pod and the node alone: they are run in Python
  and a rejected pair's ``x`` is the constant False (``static_matrix``).
- Every cross-pod filter is a Z3 constraint over the ``x``: resources (per
  node and resource, the requests placed there fit what the bound pods
  leave; a resource is only checked when a pod requesting it is placed, as
  ``fitsRequest`` skips zero requests) and the pod count; host ports (per
  node, protocol and port, at most one user among the wildcard users and
  the users of each IP); required anti-affinity (per topology domain, in
  both directions: the pod's terms and the terms of others that select it,
  existing pods included); required affinity (every term's domain holds a
  pod matching all terms and placed earlier, or nothing matching exists yet
  and the pod matches itself); hard topology spread (matching pods in the
  node's domain + self - global minimum <= maxSkew, counts over the nodes
  eligible for the pod, pods placed earlier included).
- Resources, ports and anti-affinity do not depend on the order of
  placement (requests are >= 0 and the conflicts are symmetric); affinity
  and topology spread do, and are encoded for the given queue order, so the
  oracle's answer is about that order.
- Each group of constraints is tracked by an assumption literal; an unsat
  core (minimised by dropping one group at a time while it stays unsat)
  names the groups that conflict.

The honesty rule: ``FeasibilityEncoding.accepts(placement)`` evaluates the
very constraints ``solve`` uses on a concrete placement, and
``tests/invariants/test_feasibility_encodings.py`` requires it to equal
``first_rejection(...) is None`` on generated snapshots, and ``solve`` to
agree with a brute-force search on tiny ones.

Invariants registered here: ``SCHED-FEASIBLE-SOUND:bounded`` (a returned
placement passes every filter) and ``SCHED-FEASIBLE-COMPLETE:bounded``
(infeasible only when brute force finds nothing, and the core alone is
unsat), over seeded generated problems.
"""

from __future__ import annotations

import ctypes
import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import z3

from invariants.encoding import Substitution, evaluate
from invariants.framework import Bounds, Counterexample, Invariant, SolverUnknown, register
from invariants.snapshots import Problem, SeededChoices, Shape, generate_problem
from spec.objects.core import Node, Pod, PodAffinityTerm
from spec.quantity import Quantity
from spec.scheduling import filters
from spec.scheduling.filters import (
    CPU,
    PODS,
    ClusterSnapshot,
    HostPort,
    Rejection,
    first_rejection,
    pod_key,
)

#: A placement: each pending pod (``namespace/name``) and its node, in placement order.
Placement = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Feasible:
    placement: Placement
    seconds: float = 0.0

    @property
    def feasible(self) -> bool:
        return True


@dataclass(frozen=True)
class Infeasible:
    """No placement exists; ``core`` names constraint groups that together admit none."""

    core: tuple[str, ...]
    seconds: float = 0.0
    #: Whether dropping any one group of the core leaves a satisfiable rest (see ``solve``).
    minimal: bool = True
    #: The time to decide that no placement exists, before the core was minimised.
    decided_seconds: float = 0.0

    @property
    def feasible(self) -> bool:
        return False

    def __str__(self) -> str:
        return "infeasible: " + "; ".join(self.core)


Answer = Feasible | Infeasible


@dataclass(frozen=True)
class Group:
    """Constraints tracked together: what they say in spec terms, and the Z3 terms."""

    label: str
    description: str
    terms: tuple[z3.BoolRef, ...]


#: Pseudo-Boolean coefficients are C ints in Z3.
_PB_LIMIT = 2**31 - 1


class Terms:
    """Builds one encoding's terms in a Z3 context of its own, with constants folded.

    A context per encoding makes every answer independent of what was solved before in the
    process: in a shared context the ids of earlier terms steer which model or core Z3 finds.

    Folding tests identity (``is self.false``), not ``z3.is_false``: a call into Z3 per literal
    made building a 100 x 50 problem take seconds; a false literal that is not this object is
    only folded less, never encoded wrongly. ``z3.Or``, ``z3.AtMost`` and ``z3.PbLe`` check and
    coerce every argument in Python, which was most of the time spent building a large problem;
    the literals here are Bools of this context already, so the C API is called directly (the
    same terms).
    """

    def __init__(self) -> None:
        self.ctx = z3.Context()
        self.true: z3.BoolRef = z3.BoolVal(True, self.ctx)
        self.false: z3.BoolRef = z3.BoolVal(False, self.ctx)

    def const(self, value: bool) -> z3.BoolRef:
        return self.true if value else self.false

    def all(self, terms: Sequence[z3.BoolRef]) -> z3.BoolRef:
        """The conjunction; true for none (``z3.And()`` of nothing would be in Z3's main context)."""
        return z3.And(list(terms)) if terms else self.true

    def pb_le(self, literals: Sequence[tuple[z3.BoolRef, int]], bound: int) -> z3.BoolRef:
        """``sum(weight for literal, weight if literal) <= bound`` (weights > 0), constants folded.

        Weights and bound are divided by the weights' gcd (exact: the sum is a
        multiple of it); what still does not fit a C int becomes a linear sum.
        """
        live = [(lit, w) for lit, w in literals if lit is not self.false]
        if sum(w for _, w in live) <= bound:
            return self.true
        if bound < 0:
            return self.false
        if bound == 0:
            return z3.Not(self.any(lit for lit, _ in live))
        divisor = math.gcd(*(w for _, w in live))
        scaled = [(lit, w // divisor) for lit, w in live]
        limit = bound // divisor
        if max(limit, *(w for _, w in scaled)) > _PB_LIMIT:
            return z3.Sum([z3.If(lit, w, 0) for lit, w in scaled]) <= limit
        asts = _ast_array([lit for lit, _ in scaled])
        if all(w == 1 for _, w in scaled):
            return z3.BoolRef(z3.Z3_mk_atmost(self.ctx.ref(), len(scaled), asts, limit), self.ctx)
        weights = (ctypes.c_int * len(scaled))(*(w for _, w in scaled))
        return z3.BoolRef(z3.Z3_mk_pble(self.ctx.ref(), len(scaled), asts, weights, limit), self.ctx)

    def any(self, literals: Iterable[z3.BoolRef]) -> z3.BoolRef:
        live = [lit for lit in literals if lit is not self.false]
        if not live:
            return self.false
        if len(live) == 1:
            return live[0]
        return z3.BoolRef(z3.Z3_mk_or(self.ctx.ref(), len(live), _ast_array(live)), self.ctx)

    def pb_difference_le(
        self, plus: Sequence[z3.BoolRef], minus: Sequence[z3.BoolRef], bound: int
    ) -> z3.BoolRef:
        """``#true(plus) - #true(minus) <= bound``, as
        ``#true(plus) + #false(minus) <= bound + len(minus)``."""
        live_minus = [lit for lit in minus if lit is not self.false]
        literals = [(lit, 1) for lit in plus] + [(z3.Not(lit), 1) for lit in live_minus]
        return self.pb_le(literals, bound + len(live_minus))


def _ast_array(literals: Sequence[z3.BoolRef]) -> ctypes.Array[Any]:
    array: ctypes.Array[Any] = (z3.Ast * len(literals))(*(lit.as_ast() for lit in literals))
    return array


def _render(amount: int, resource: str) -> str:
    if resource == CPU:
        return f"{amount}m"
    return str(Quantity.from_int(amount))


def _names(pods: Iterable[Pod]) -> str:
    return ", ".join(pod_key(p) for p in pods)


class FeasibilityEncoding:
    """The Z3 constraints of one problem; overridable per kind (tests build mutants by subclassing)."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.snapshot: ClusterSnapshot = problem.snapshot
        self.pending: tuple[Pod, ...] = problem.pending
        self.nodes: tuple[Node, ...] = problem.snapshot.nodes
        keys = [pod_key(p) for p in self.pending]
        if len(set(keys)) != len(keys):
            raise ValueError(f"pending pods must have distinct namespace/name: {keys}")
        self.static: list[list[tuple[str, ...]]] = static_matrix(problem)
        self.terms = Terms()
        self.x: list[list[z3.BoolRef]] = [
            [
                self.terms.false
                if self.static[i][j]
                else z3.Bool(f"x[{pod_key(pod)},{node.metadata.name}]", self.terms.ctx)
                for j, node in enumerate(self.nodes)
            ]
            for i, pod in enumerate(self.pending)
        ]
        self._domains: dict[tuple[int, str, str], z3.BoolRef] = {}
        self.structural = self.at_most_one_node()
        self.groups: list[Group] = [
            *self.placement_groups(),
            *self.resource_groups(),
            *self.port_groups(),
            *self.anti_affinity_groups(),
            *self.affinity_groups(),
            *self.spread_groups(),
        ]

    # -- helpers ----------------------------------------------------------------------------

    def domain(self, i: int, key: str, value: str) -> z3.BoolRef:
        """Pending pod ``i`` is on a node whose label ``key`` is ``value``."""
        cached = self._domains.get((i, key, value))
        if cached is None:
            cached = self.terms.any(
                self.x[i][j] for j, node in enumerate(self.nodes) if node.metadata.labels.get(key) == value
            )
            self._domains[(i, key, value)] = cached
        return cached

    def domain_values(self, key: str) -> list[str]:
        return sorted({n.metadata.labels[key] for n in self.nodes if key in n.metadata.labels})

    def ns_labels(self, pod: Pod) -> Mapping[str, str]:
        return self.snapshot.labels_of_namespace(pod.metadata.namespace)

    # -- every pod somewhere, nowhere twice ---------------------------------------------------

    def at_most_one_node(self) -> list[z3.BoolRef]:
        return [self.terms.pb_le([(x, 1) for x in row], 1) for row in self.x]

    def placement_groups(self) -> list[Group]:
        groups = []
        for i, pod in enumerate(self.pending):
            allowed = [n.metadata.name for j, n in enumerate(self.nodes) if not self.static[i][j]]
            rejected = {
                n.metadata.name: self.static[i][j] for j, n in enumerate(self.nodes) if self.static[i][j]
            }
            why = ""
            if rejected:
                why = f" ({filters.unschedulable_message(rejected, len(self.nodes))[:-1]})"
                why = why.replace(f"0/{len(self.nodes)} nodes are available:", "static filters:")
            where = ", ".join(allowed) if allowed else "no node"
            groups.append(
                Group(
                    f"place:{pod_key(pod)}",
                    f"pod {pod_key(pod)} must be placed on one of: {where}{why}",
                    (self.terms.any(self.x[i]),),
                )
            )
        return groups

    # -- NodeResourcesFit -------------------------------------------------------------------------

    def used_on(self, node: Node) -> dict[str, int]:
        """What the bound pods request on ``node`` (the mutant that forgets them overrides this)."""
        return filters.requested_on(node.metadata.name, self.snapshot)

    def bound_count(self, node: Node) -> int:
        return len(self.snapshot.pods_on(node.metadata.name))

    def resource_groups(self) -> list[Group]:
        requests = [filters.pod_requests(p) for p in self.pending]
        resources = sorted({r for req in requests for r, amount in req.items() if amount > 0})
        groups = []
        for j, node in enumerate(self.nodes):
            name = node.metadata.name
            allocatable = filters.node_allocatable(node)
            used = self.used_on(node)
            pods_free = allocatable.get(PODS, 0) - self.bound_count(node)
            pods_term = self.terms.pb_le(
                [(self.x[i][j], 1) for i in range(len(self.pending))], max(pods_free, 0)
            )
            if pods_term is not self.terms.true:
                groups.append(
                    Group(
                        f"pods:{name}",
                        f"node {name}: at most {max(pods_free, 0)} more pods "
                        f"({allocatable.get(PODS, 0)} allocatable, {self.bound_count(node)} bound)",
                        (pods_term,),
                    )
                )
            for resource in resources:
                free = allocatable.get(resource, 0) - used.get(resource, 0)
                wanted = [(self.x[i][j], req.get(resource, 0)) for i, req in enumerate(requests)]
                positive = [(x, amount) for x, amount in wanted if amount > 0]
                # fitsRequest checks a resource only for a pod requesting it: an overcommitted node
                # (free < 0) takes no such pod, and any number of pods that do not request it.
                term = (
                    self.terms.pb_le(positive, free)
                    if free >= 0
                    else z3.Not(self.terms.any(x for x, _ in positive))
                )
                if term is self.terms.true:
                    continue
                groups.append(
                    Group(
                        f"{resource}:{name}",
                        f"node {name}: {resource} requests placed there must fit in "
                        f"{_render(allocatable.get(resource, 0), resource)} allocatable - "
                        f"{_render(used.get(resource, 0), resource)} requested = {_render(free, resource)}",
                        (term,),
                    )
                )
        return groups

    # -- NodePorts ----------------------------------------------------------------------------------

    def port_groups(self) -> list[Group]:
        ports = [filters.host_ports(p) for p in self.pending]
        slots = sorted({(hp.protocol, hp.port) for pod_ports in ports for hp in pod_ports})
        groups = []
        for j, node in enumerate(self.nodes):
            bound = [
                hp for pod in self.snapshot.pods_on(node.metadata.name) for hp in filters.host_ports(pod)
            ]
            terms = []
            for protocol, port in slots:
                terms += self._slot_terms(j, protocol, port, ports, bound)
            terms = [t for t in terms if t is not self.terms.true]
            if terms:
                groups.append(
                    Group(
                        f"ports:{node.metadata.name}",
                        f"node {node.metadata.name}: each host port (protocol, port) has at most one user "
                        "among the pods there, per hostIP, 0.0.0.0 sharing with none",
                        tuple(terms),
                    )
                )
        return groups

    def _slot_terms(
        self,
        j: int,
        protocol: str,
        port: int,
        ports: Sequence[tuple[HostPort, ...]],
        bound: Sequence[HostPort],
    ) -> list[z3.BoolRef]:
        def users(pod_ports: Iterable[HostPort], ip: str | None) -> bool:
            return any(
                hp.protocol == protocol
                and hp.port == port
                and (hp.host_ip == filters.DEFAULT_BIND_ALL_HOST_IP or hp.host_ip == ip)
                for hp in pod_ports
            )

        ips = sorted(
            {hp.host_ip for pp in (*ports, bound) for hp in pp if (hp.protocol, hp.port) == (protocol, port)}
            - {filters.DEFAULT_BIND_ALL_HOST_IP}
        )
        terms = []
        # One group per IP (its users and the wildcard users), and the wildcard users alone.
        for ip in [*ips, None]:
            pending_users = [self.x[i][j] for i, pp in enumerate(ports) if users(pp, ip)]
            taken = any(
                hp.protocol == protocol
                and hp.port == port
                and (ip is None or hp.host_ip in (ip, filters.DEFAULT_BIND_ALL_HOST_IP))
                for hp in bound
            )
            terms.append(self.terms.pb_le([(x, 1) for x in pending_users], 0 if taken else 1))
        return terms

    # -- InterPodAffinity: anti-affinity -------------------------------------------------------------

    def anti_affinity_groups(self) -> list[Group]:
        return [*self.pending_anti_affinity_groups(), *self.bound_anti_affinity_groups()]

    def pending_anti_affinity_groups(self) -> list[Group]:
        """Between pending pods: an owner's term forbids the pods it selects in the owner's domain."""
        owners_by_group: dict[tuple[str, frozenset[int]], list[int]] = defaultdict(list)
        for i, owner in enumerate(self.pending):
            for term in filters.required_anti_affinity_terms(owner):
                selected = frozenset(
                    k
                    for k, other in enumerate(self.pending)
                    if filters.affinity_term_matches(term, owner, other, self.ns_labels(other))
                )
                if selected - {i}:
                    owners_by_group[(term.topology_key, selected)].append(i)
        groups = []
        for (key, selected), owners in owners_by_group.items():
            terms = []
            for value in self.domain_values(key):
                members = [(self.domain(k, key, value), 1) for k in sorted(selected)]
                for i in sorted(set(owners)):
                    # With the owner there, the selected pods there are at most the owner itself.
                    limit = self.terms.pb_le(members, 1 if i in selected else 0)
                    terms.append(z3.Implies(self.domain(i, key, value), limit))
            owner_pods = [self.pending[i] for i in sorted(set(owners))]
            groups.append(
                Group(
                    f"anti:{key}:{_names(owner_pods)}",
                    f"pods {_names(owner_pods)}: required anti-affinity on {key} against pods "
                    f"{_names(self.pending[k] for k in sorted(selected))} "
                    f"({len(self.domain_values(key))} {key} domain(s))",
                    tuple(terms),
                )
            )
        return groups

    def bound_anti_affinity_groups(self) -> list[Group]:
        """A pending pod and a bound pod: either one's term, selecting the other, forbids its domain."""
        groups = []
        for i, pod in enumerate(self.pending):
            forbidden: dict[tuple[str, str], list[str]] = defaultdict(list)
            for other, other_node in self.snapshot.placed_pods():
                for key, term_owner, target, term in self._bound_pairs(pod, other):
                    value = other_node.metadata.labels.get(key)
                    if value is not None and filters.affinity_term_matches(
                        term, term_owner, target, self.ns_labels(target)
                    ):
                        forbidden[(key, value)].append(pod_key(other))
            if forbidden:
                terms = tuple(z3.Not(self.domain(i, key, value)) for key, value in sorted(forbidden))
                where = "; ".join(
                    f"{k}={v} ({', '.join(sorted(set(p)))})" for (k, v), p in sorted(forbidden.items())
                )
                groups.append(
                    Group(
                        f"anti-bound:{pod_key(pod)}",
                        f"pod {pod_key(pod)}: required anti-affinity with bound pods rules out {where}",
                        terms,
                    )
                )
        return groups

    def _bound_pairs(self, pod: Pod, other: Pod) -> list[tuple[str, Pod, Pod, PodAffinityTerm]]:
        """(topology key, term owner, selected pod, term): the pending pod's terms, then the bound pod's."""
        own = [(t.topology_key, pod, other, t) for t in filters.required_anti_affinity_terms(pod)]
        theirs = [(t.topology_key, other, pod, t) for t in filters.required_anti_affinity_terms(other)]
        return own + theirs

    # -- InterPodAffinity: affinity --------------------------------------------------------------------

    def affinity_groups(self) -> list[Group]:
        groups = []
        for i, pod in enumerate(self.pending):
            terms = filters.required_affinity_terms(pod)
            if not terms:
                continue
            keys = [t.topology_key for t in terms]
            bound_domains: set[tuple[str, str]] = set()
            for other, other_node in self.snapshot.placed_pods():
                if filters.matches_all_affinity_terms(pod, other, terms, self.ns_labels(other)):
                    bound_domains |= {
                        (k, other_node.metadata.labels[k]) for k in keys if k in other_node.metadata.labels
                    }
            earlier = [
                k
                for k in range(i)
                if filters.matches_all_affinity_terms(
                    pod, self.pending[k], terms, self.ns_labels(self.pending[k])
                )
            ]
            self_match = filters.matches_all_affinity_terms(pod, pod, terms, self.ns_labels(pod))
            earlier_with_a_key = self.terms.any(
                self.x[k][j]
                for k in earlier
                for j, node in enumerate(self.nodes)
                if any(key in node.metadata.labels for key in keys)
            )
            first = (
                z3.And(z3.Not(earlier_with_a_key), self.terms.const(self_match))
                if not bound_domains
                else self.terms.false
            )
            constraints = []
            for j, node in enumerate(self.nodes):
                labels = node.metadata.labels
                if any(key not in labels for key in keys):
                    constraints.append(z3.Not(self.x[i][j]))
                    continue
                supported = z3.And(
                    [
                        z3.Or(
                            self.terms.const((t.topology_key, labels[t.topology_key]) in bound_domains),
                            self.terms.any(
                                self.domain(k, t.topology_key, labels[t.topology_key]) for k in earlier
                            ),
                        )
                        for t in terms
                    ]
                )
                constraints.append(z3.Implies(self.x[i][j], z3.Or(supported, first)))
            groups.append(
                Group(
                    f"affinity:{pod_key(pod)}",
                    f"pod {pod_key(pod)}: required pod affinity on {', '.join(sorted(set(keys)))} with "
                    f"pods matching all its terms placed before it "
                    f"({len(bound_domains)} bound domain(s), {len(earlier)} earlier pending pod(s))",
                    tuple(constraints),
                )
            )
        return groups

    # -- PodTopologySpread ------------------------------------------------------------------------------

    def spread_groups(self) -> list[Group]:
        """``matchNum + self - min <= maxSkew`` as ``count(v) + self - count(w) <= maxSkew`` for every
        domain ``w`` (the same thing, without a minimum term), each count a constant plus one literal
        per earlier pending pod that the constraint counts: it is on an eligible node of that domain."""
        groups = []
        for i, pod in enumerate(self.pending):
            constraints = filters.hard_spread_constraints(pod)
            terms: list[z3.BoolRef] = []
            for c in constraints:
                eligible = [filters.spread_node_eligible(pod, c, constraints, n) for n in self.nodes]
                bound_counts = filters.spread_domain_counts(pod, c, constraints, self.snapshot)
                counted = [k for k in range(i) if filters.spread_counts_pod(pod, c, self.pending[k])]
                placed: dict[str, list[z3.BoolRef]] = {
                    value: [self.eligible_domain(k, c.topology_key, value, eligible) for k in counted]
                    for value in bound_counts
                }
                self_match = 1 if c.selector.matches(pod.metadata.labels) else 0
                few_domains = len(bound_counts) < c.min_domains
                for j, node in enumerate(self.nodes):
                    if c.topology_key not in node.metadata.labels:
                        terms.append(z3.Not(self.x[i][j]))
                # The limit depends on the node's domain only: one implication per domain.
                for value in self.domain_values(c.topology_key):
                    here, here_placed = bound_counts.get(value, 0), placed.get(value, [])
                    if few_domains:
                        # The global minimum is 0: count(v) + self <= maxSkew.
                        limits = [
                            self.terms.pb_le(
                                [(lit, 1) for lit in here_placed], c.max_skew - self_match - here
                            )
                        ]
                    else:
                        limits = [
                            self.terms.pb_difference_le(
                                here_placed,
                                placed[other],
                                c.max_skew - self_match - here + bound_counts[other],
                            )
                            for other in sorted(bound_counts)
                            if other != value
                        ]
                        if value in bound_counts and self_match > c.max_skew:
                            limits.append(self.terms.false)
                    limit = self.terms.all(limits)
                    if limit is not self.terms.true:
                        terms.append(z3.Implies(self.domain(i, c.topology_key, value), limit))
            if terms:
                keys = ", ".join(f"{c.topology_key} maxSkew {c.max_skew}" for c in constraints)
                groups.append(
                    Group(
                        f"spread:{pod_key(pod)}",
                        f"pod {pod_key(pod)}: topology spread ({keys}) counting bound pods and the pending "
                        "pods placed before it",
                        tuple(terms),
                    )
                )
        return groups

    def eligible_domain(self, k: int, key: str, value: str, eligible: Sequence[bool]) -> z3.BoolRef:
        """Pending pod ``k`` is on an eligible node whose label ``key`` is ``value``."""
        return self.terms.any(
            self.x[k][j]
            for j, node in enumerate(self.nodes)
            if eligible[j] and node.metadata.labels.get(key) == value
        )

    # -- evaluating and solving ---------------------------------------------------------------------------

    def constraints(self) -> list[z3.BoolRef]:
        return [*self.structural, *(t for g in self.groups for t in g.terms)]

    def substitution(self, nodes: Sequence[str | None]) -> Substitution:
        """Pending pod ``i`` on ``nodes[i]`` (None: nowhere), as values of the ``x`` variables."""
        pairs: Substitution = []
        for i, row in enumerate(self.x):
            for j, var in enumerate(row):
                if var is not self.terms.false:
                    pairs.append((var, self.terms.const(self.nodes[j].metadata.name == nodes[i])))
        return pairs

    def accepts(self, nodes: Sequence[str | None]) -> bool:
        """Whether the constraints hold for pending pod ``i`` on ``nodes[i]``: the term, evaluated."""
        return bool(evaluate(self.terms.all(self.constraints()), self.substitution(nodes)))

    def admitted_placements(self, limit: int, *, timeout_ms: int = 60_000) -> Iterable[Placement]:
        """Every placement the constraints admit (up to ``limit``), each blocked once found.

        ``solve`` returns one of these, whichever Z3 meets first; a soundness
        check that looks at that one alone misses an encoding that admits a
        wrong placement Z3 happens not to pick.
        """
        solver = z3.Solver(ctx=self.terms.ctx)
        solver.set("timeout", timeout_ms)
        solver.add(*self.constraints())
        for _ in range(limit):
            if solver.check() != z3.sat:
                return
            model = solver.model()
            chosen = [
                next(j for j, x in enumerate(row) if z3.is_true(model.eval(x, model_completion=True)))
                for row in self.x
            ]
            yield tuple(
                (pod_key(pod), self.nodes[j].metadata.name)
                for pod, j in zip(self.pending, chosen, strict=True)
            )
            solver.add(z3.Or([z3.Not(self.x[i][j]) for i, j in enumerate(chosen)]))

    def solve(
        self, *, timeout_ms: int = 60_000, minimise_core: bool = True, core_budget_ms: int = 10_000
    ) -> Answer:
        """A placement, or an unsat core of constraint groups.

        The core is minimised by dropping one group at a time while the rest
        stays unsat (each unsat trial's own core replaces the current one, so
        a large core shrinks in few steps), within ``core_budget_ms``; a trial
        the budget cuts short keeps its group, so the core stays a core, and
        ``Infeasible.minimal`` says whether every group was tried.
        """
        started = time.perf_counter()
        solver = z3.Solver(ctx=self.terms.ctx)
        solver.set("timeout", timeout_ms)
        solver.add(*self.structural)
        switches = {}
        for index, group in enumerate(self.groups):
            switch = z3.Bool(f"group#{index}", self.terms.ctx)
            switches[switch.get_id()] = group
            solver.add(z3.Implies(switch, self.terms.all(group.terms)))
        assumptions = [z3.Bool(f"group#{index}", self.terms.ctx) for index in range(len(self.groups))]
        answer = solver.check(*assumptions)
        if answer == z3.unknown:
            raise SolverUnknown(f"z3 answered unknown: {solver.reason_unknown()}")
        if answer == z3.sat:
            model = solver.model()
            placement = []
            for i, pod in enumerate(self.pending):
                node = next(
                    n.metadata.name
                    for j, n in enumerate(self.nodes)
                    if z3.is_true(model.eval(self.x[i][j], model_completion=True))
                )
                placement.append((pod_key(pod), node))
            return Feasible(tuple(placement), time.perf_counter() - started)
        decided = time.perf_counter() - started
        core = list(solver.unsat_core())
        minimal = minimise_core
        if minimise_core:
            deadline = time.perf_counter() + core_budget_ms / 1000
            kept: list[z3.BoolRef] = []  # groups without which the rest was satisfiable (or undecided)
            while core:
                literal, rest = core[0], core[1:]
                remaining_ms = int((deadline - time.perf_counter()) * 1000)
                if remaining_ms <= 0:
                    kept += core
                    minimal = False
                    break
                solver.set("timeout", min(timeout_ms, remaining_ms))
                verdict = solver.check(*kept, *rest)
                if verdict == z3.unsat:
                    smaller = {c.get_id() for c in solver.unsat_core()}
                    core = [c for c in rest if c.get_id() in smaller]
                    kept = [c for c in kept if c.get_id() in smaller]
                else:
                    minimal = minimal and verdict == z3.sat
                    kept.append(literal)
                    core = rest
            core = kept
        groups = [switches[c.get_id()] for c in core]
        order = {id(g): k for k, g in enumerate(self.groups)}
        descriptions = tuple(g.description for g in sorted(groups, key=lambda g: order[id(g)]))
        return Infeasible(descriptions, time.perf_counter() - started, minimal, decided)


def static_matrix(problem: Problem) -> list[list[tuple[str, ...]]]:
    """The static filters' reasons for every (pending pod, node); () where the pair passes."""
    return [[filters.static_reasons(pod, node) for node in problem.snapshot.nodes] for pod in problem.pending]


def solve(problem: Problem, *, timeout_ms: int = 60_000) -> Answer:
    """Whether ``problem``'s pending pods can all be placed in their order; the placement or an unsat core."""
    return FeasibilityEncoding(problem).solve(timeout_ms=timeout_ms)


def placement_pairs(problem: Problem, placement: Placement) -> list[tuple[Pod, str]]:
    """A placement as (pod, node) pairs for ``spec.scheduling.filters.first_rejection``."""
    by_key = {pod_key(p): p for p in problem.pending}
    return [(by_key[key], node) for key, node in placement]


def brute_force(problem: Problem) -> Placement | None:
    """A placement found by trying every node for each pod in order (depth first), or None."""

    def place(index: int, snapshot: ClusterSnapshot, chosen: list[tuple[str, str]]) -> Placement | None:
        if index == len(problem.pending):
            return tuple(chosen)
        pod = problem.pending[index]
        for node in snapshot.nodes:
            if not filters.filter_node(pod, node, snapshot):
                found = place(
                    index + 1,
                    snapshot.with_pod(pod, node.metadata.name),
                    [*chosen, (pod_key(pod), node.metadata.name)],
                )
                if found is not None:
                    return found
        return None

    return place(0, problem.snapshot, [])


# -- the invariants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OracleAnswer:
    """What the oracle said about one problem: the state ``check`` judges."""

    problem: Problem
    answer: Answer


def soundness_problems(answer: OracleAnswer) -> list[str]:
    """Why a Feasible answer is wrong: pods missing, out of order, or rejected by a filter."""
    if not isinstance(answer.answer, Feasible):
        return []
    placement = answer.answer.placement
    wanted = [pod_key(p) for p in answer.problem.pending]
    if [key for key, _ in placement] != wanted:
        return [f"the placement places {[k for k, _ in placement]}, not the pending pods in order {wanted}"]
    rejection: Rejection | None = first_rejection(
        answer.problem.snapshot, placement_pairs(answer.problem, placement)
    )
    return [] if rejection is None else [f"the returned placement is rejected: {rejection}"]


#: Brute force is only tried up to this many placements to enumerate.
BRUTE_FORCE_LIMIT = 5_000


def completeness_problems(answer: OracleAnswer) -> list[str]:
    """Why an Infeasible answer is wrong: an empty core, or a placement brute force finds."""
    if not isinstance(answer.answer, Infeasible):
        return []
    if not answer.answer.core:
        return ["infeasible with an empty core"]
    nodes, pods = len(answer.problem.snapshot.nodes), len(answer.problem.pending)
    if nodes**pods > BRUTE_FORCE_LIMIT:
        return []
    found = brute_force(answer.problem)
    return [] if found is None else [f"infeasible, yet this placement passes every filter: {found}"]


class _OracleInvariant(Invariant[OracleAnswer]):
    method = "bounded"
    default_bounds: ClassVar[Bounds] = {"problems": 300, "max_pods": 4, "max_nodes": 3, "seed": 0}

    def describe_bounds(self, bounds: Bounds) -> str:
        return (
            f"{bounds['problems']} seeded problems (seed {bounds['seed']}), "
            f"<= {bounds['max_pods']} pending pods "
            f"x <= {bounds['max_nodes']} nodes, every filter kind; checked, not proved for all snapshots"
        )

    def find_counterexample(self, bounds: Bounds, timeout_ms: int) -> Counterexample | None:
        for problem in bounded_problems(bounds):
            for answer in self.answers(problem, timeout_ms):
                violations = self.check(answer)
                if violations:
                    return Counterexample(
                        f"{describe_problem(problem)}: {'; '.join(violations)}",
                        {"problem": problem, "answer": answer},
                    )
        return None

    def answers(self, problem: Problem, timeout_ms: int) -> Iterable[OracleAnswer]:
        """The oracle's answers to judge for ``problem``: what ``solve`` says."""
        yield OracleAnswer(problem, solve(problem, timeout_ms=timeout_ms))


class FeasibleSound(_OracleInvariant):
    def __init__(self) -> None:
        super().__init__(filters.SCHED_FEASIBLE_SOUND.id)

    def answers(self, problem: Problem, timeout_ms: int) -> Iterable[OracleAnswer]:
        """What ``solve`` says, then every other placement the encoding admits (small problems)."""
        yield from super().answers(problem, timeout_ms)
        nodes, pods = len(problem.snapshot.nodes), len(problem.pending)
        if nodes**pods <= BRUTE_FORCE_LIMIT:
            encoding = FeasibilityEncoding(problem)
            for placement in encoding.admitted_placements(BRUTE_FORCE_LIMIT, timeout_ms=timeout_ms):
                yield OracleAnswer(problem, Feasible(placement))

    def check(self, state: OracleAnswer) -> list[str]:
        return soundness_problems(state)


class FeasibleComplete(_OracleInvariant):
    def __init__(self) -> None:
        super().__init__(filters.SCHED_FEASIBLE_COMPLETE.id)

    def check(self, state: OracleAnswer) -> list[str]:
        return completeness_problems(state)


def bounded_problems(bounds: Bounds) -> Iterable[Problem]:
    """The seeded problems an invariant's bounds stand for: sizes and features vary with the index."""
    for index in range(bounds["problems"]):
        choices = SeededChoices(bounds["seed"] * 100_003 + index)
        shape = Shape(
            pods=choices.integer(1, bounds["max_pods"]),
            nodes=choices.integer(1, bounds["max_nodes"]),
            existing=choices.integer(0, 4),
            load=choices.pick((20, 50, 150)),
            zones=choices.integer(1, 3),
            affinity=index % 3 == 1,
            spread=index % 3 == 2,
            zone_anti_affinity=choices.coin(),
        )
        yield generate_problem(choices, shape)


def describe_problem(problem: Problem) -> str:
    nodes = len(problem.snapshot.nodes)
    return f"{len(problem.pending)} pending pods, {nodes} nodes, {len(problem.snapshot.pods)} bound pods"


def summary(answers: Iterable[Answer]) -> Counter[str]:
    return Counter("feasible" if a.feasible else "infeasible" for a in answers)


SCHED_FEASIBLE_SOUND = register(FeasibleSound())
SCHED_FEASIBLE_COMPLETE = register(FeasibleComplete())

__all__ = [
    "SCHED_FEASIBLE_COMPLETE",
    "SCHED_FEASIBLE_SOUND",
    "Answer",
    "FeasibilityEncoding",
    "Feasible",
    "Group",
    "Infeasible",
    "OracleAnswer",
    "Placement",
    "brute_force",
    "completeness_problems",
    "placement_pairs",
    "solve",
    "soundness_problems",
    "static_matrix",
]
