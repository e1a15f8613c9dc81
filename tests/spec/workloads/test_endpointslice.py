"""spec/workloads/endpointslice.py: endpoints, conditions, ports and packing, on the cases of k/k
``staging/src/k8s.io/endpointslice/utils_test.go`` (TestPodToEndpoint: ready/serving/terminating with and
without publishNotReadyAddresses; TestGetEndpointPorts: named and numeric targetPorts) and properties of
``pack`` that a seeded broken packer fails."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.workloads.endpointslice import (
    MAX_ENDPOINTS_PER_SLICE,
    Endpoint,
    Slice,
    desired_endpoints,
    endpoint_conditions,
    endpoint_ports,
    pack,
    slice_problems,
)


def pod(name: str, *, ip: str = "10.0.0.1", ready: bool = True, phase: str = "Running", **extra: Any) -> dict:
    return {
        "metadata": {
            "name": name,
            "namespace": "default",
            "uid": f"uid-{name}",
            "labels": {"app": "web"},
            **extra,
        },
        "spec": {"containers": [{"name": "c", "ports": [{"name": "http", "containerPort": 8080}]}]},
        "status": {
            "phase": phase,
            "podIP": ip,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        },
    }


SERVICE = {
    "metadata": {"name": "svc", "namespace": "default"},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
}


@pytest.mark.requirement("ENDPOINTSLICE-CONDITIONS")
@pytest.mark.parametrize(
    ("serving", "terminating", "publish", "expected"),
    [
        (True, False, False, (True, True, False)),
        (False, False, False, (False, False, False)),
        (True, True, False, (False, True, True)),  # terminating is never ready...
        (True, True, True, (True, True, True)),  # ...unless publishNotReadyAddresses
        (False, False, True, (True, False, False)),
    ],
)
def test_conditions(
    serving: bool, terminating: bool, publish: bool, expected: tuple[bool, bool, bool]
) -> None:
    assert endpoint_conditions(serving, terminating, publish) == expected


@pytest.mark.requirement("ENDPOINTSLICE-MATCHES-PODS")
def test_membership() -> None:
    pods = [
        pod("a"),
        pod("no-ip", ip=""),
        pod("done", phase="Succeeded"),
        pod("failed", phase="Failed"),
        pod("going", deletionTimestamp="2026-01-01T00:00:30Z"),
        {**pod("other"), "metadata": {**pod("other")["metadata"], "labels": {"app": "api"}}},
        {**pod("elsewhere"), "metadata": {**pod("elsewhere")["metadata"], "namespace": "kube-system"}},
    ]
    assert sorted(e.pod_name for e in desired_endpoints(SERVICE, pods).values()) == ["a", "going"]
    no_selector = {**SERVICE, "spec": {**SERVICE["spec"], "selector": {}}}
    assert desired_endpoints(no_selector, pods) == {}


@pytest.mark.requirement("ENDPOINTSLICE-PORTS")
@pytest.mark.parametrize(
    ("target", "protocol", "expected"),
    [
        ("http", "TCP", (("http", "TCP", 8080),)),
        (9000, "TCP", (("http", "TCP", 9000),)),
        ("9001", "TCP", (("http", "TCP", 9001),)),
        ("grpc", "TCP", ()),  # the pod has no such port: left out
        ("http", "UDP", ()),  # names match only with the protocol
    ],
)
def test_ports(target: Any, protocol: str, expected: tuple) -> None:
    service = {
        **SERVICE,
        "spec": {
            **SERVICE["spec"],
            "ports": [{"name": "http", "port": 80, "targetPort": target, "protocol": protocol}],
        },
    }
    assert endpoint_ports(service, pod("a")) == expected


def endpoint(i: int, port: int) -> Endpoint:
    return Endpoint(
        f"uid-{i}", f"p{i:03}", f"10.0.{i // 250}.{i % 250}", "n", True, True, False, (("http", "TCP", port),)
    )


endpoints = st.lists(st.tuples(st.integers(0, 400), st.sampled_from([8080, 9090])), max_size=260).map(
    lambda pairs: {e.pod_uid: e for e in (endpoint(i, port) for i, port in pairs)}
)


def check_packing(
    existing: list[Slice], desired: dict[str, Endpoint], packed: list[Slice], most: int
) -> None:
    assert slice_problems(packed, most) == []
    placed = [e for s in packed for e in s.endpoints]
    assert sorted(e.pod_uid for e in placed) == sorted(desired)  # each once
    assert all(e == desired[e.pod_uid] for e in placed)
    assert all(s.endpoints for s in packed)  # no empty slice kept
    names = [s.name for s in packed if s.name]
    assert len(names) == len(set(names)) and set(names) <= {s.name for s in existing}


@pytest.mark.requirement("ENDPOINTSLICE-MAX-ENDPOINTS", "ENDPOINTSLICE-MATCHES-PODS")
@given(endpoints, endpoints)
def test_pack_from_scratch_and_again(before: dict[str, Endpoint], after: dict[str, Endpoint]) -> None:
    first = pack([], before)
    check_packing([], before, first, MAX_ENDPOINTS_PER_SLICE)
    existing = [Slice(f"s{i}", s.ports, s.endpoints) for i, s in enumerate(first)]
    second = pack(existing, after)
    check_packing(existing, after, second, MAX_ENDPOINTS_PER_SLICE)
    # Endpoints that stay, with the same ports, keep their slice (no churn).
    home = {e.pod_uid: (s.name, e.ports) for s in existing for e in s.endpoints}
    for s in second:
        for e in s.endpoints:
            if e.pod_uid in home and home[e.pod_uid][1] == e.ports:
                assert s.name == home[e.pod_uid][0], (e, s.name, home[e.pod_uid])


def test_an_over_full_slice_sheds_its_surplus() -> None:
    desired = {e.pod_uid: e for e in (endpoint(i, 8080) for i in range(150))}
    packed = pack([Slice("big", (("http", "TCP", 8080),), tuple(desired.values()))], desired)
    existing = [Slice("big", (("http", "TCP", 8080),), ())]
    check_packing(existing, desired, packed, MAX_ENDPOINTS_PER_SLICE)
    assert [(s.name, len(s.endpoints)) for s in packed] == [("big", 100), ("", 50)]


def test_the_checks_reject_a_packer_that_fills_101() -> None:
    desired = {e.pod_uid: e for e in (endpoint(i, 8080) for i in range(101))}
    broken = pack([], desired, max_per_slice=101)
    with pytest.raises(AssertionError):
        check_packing([], desired, broken, MAX_ENDPOINTS_PER_SLICE)
    mixed = [Slice("", (("http", "TCP", 8080),), (endpoint(1, 8080), endpoint(2, 9090)))]
    assert slice_problems(mixed) != []
