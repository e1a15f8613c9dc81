"""networking.k8s.io/v1: NetworkPolicy.

Upstream: kubernetes/api ``networking/v1/types.go``. ``podSelector`` is not
a pointer upstream and is always written: ``podSelector: {}`` selects
every pod of the namespace, and a policy with no rules then isolates them.
Defaults (policyTypes, port protocol TCP) are in ``spec.objects.defaults``
(k/k ``pkg/apis/networking/v1/defaults.go``).

Requirement IDs: none.
"""

from __future__ import annotations

from typing import ClassVar, Final

from spec.objects.base import AlwaysWritten, Int32, IntOrStringValue, Model, Seq, wire_name
from spec.objects.meta import KindModel, LabelSelector

POLICY_TYPES: Final = ("Ingress", "Egress")


class NetworkPolicyPort(Model):
    protocol: str | None = None
    port: IntOrStringValue | None = None
    end_port: Int32 | None = None


class IPBlock(Model):
    cidr: str = ""
    except_: Seq[str] = wire_name("except", ())


class NetworkPolicyPeer(Model):
    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPBlock | None = None


class NetworkPolicyIngressRule(Model):
    ports: Seq[NetworkPolicyPort] = ()
    from_: Seq[NetworkPolicyPeer] = wire_name("from", ())


class NetworkPolicyEgressRule(Model):
    ports: Seq[NetworkPolicyPort] = ()
    to: Seq[NetworkPolicyPeer] = ()


class NetworkPolicySpec(AlwaysWritten):
    _always_written: ClassVar[tuple[str, ...]] = ("pod_selector",)

    pod_selector: LabelSelector = LabelSelector()
    ingress: Seq[NetworkPolicyIngressRule] = ()
    egress: Seq[NetworkPolicyEgressRule] = ()
    policy_types: Seq[str] = ()


class NetworkPolicy(KindModel):
    api_version: ClassVar[str] = "networking.k8s.io/v1"
    kind: ClassVar[str] = "NetworkPolicy"

    spec: NetworkPolicySpec = NetworkPolicySpec()
