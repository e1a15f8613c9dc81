"""Mutating admission (spec/admission.py) on upstream's cases, and through the API server's core."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invariants.snapshots import make_pod
from spec.admission import (
    DEFAULT_TOLERATION_SECONDS,
    TAINT_NODE_NOT_READY,
    TAINT_NODE_UNREACHABLE,
    admit_create,
    default_tolerations,
)
from spec.objects import to_dict
from spec.objects.core import Pod
from tests.apiserver.helpers import PODS, Client

NOT_READY = {
    "key": TAINT_NODE_NOT_READY,
    "operator": "Exists",
    "effect": "NoExecute",
    "tolerationSeconds": 300,
}
UNREACHABLE = {**NOT_READY, "key": TAINT_NODE_UNREACHABLE}


def with_tolerations(*tolerations: dict[str, object]) -> Pod:
    return make_pod("web", spec={"tolerations": list(tolerations)})


def tolerations_of(pod: Pod) -> list[dict[str, object]]:
    return to_dict(pod)["spec"].get("tolerations", [])


@pytest.mark.requirement("API-ADMISSION-TOLERATIONS")
@pytest.mark.parametrize(
    ("given_tolerations", "added"),
    [
        # From defaulttolerationseconds/admission_test.go: none, both present, one present,
        # a key-less toleration (covers every key), an effect-less one, other effects.
        ([], [NOT_READY, UNREACHABLE]),
        (
            [
                {
                    "key": TAINT_NODE_NOT_READY,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 60,
                }
            ],
            [UNREACHABLE],
        ),
        ([{"key": TAINT_NODE_UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}], [NOT_READY]),
        ([{"operator": "Exists"}], []),
        ([{"operator": "Exists", "effect": "NoExecute"}], []),
        ([{"key": TAINT_NODE_NOT_READY, "operator": "Exists"}], [UNREACHABLE]),
        (
            [{"key": TAINT_NODE_NOT_READY, "operator": "Exists", "effect": "NoSchedule"}],
            [NOT_READY, UNREACHABLE],
        ),
        (
            [{"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoExecute"}],
            [NOT_READY, UNREACHABLE],
        ),
    ],
)
def test_the_two_tolerations_are_added_only_where_missing(
    given_tolerations: list[dict[str, object]], added: list[dict[str, object]]
) -> None:
    pod = with_tolerations(*given_tolerations)
    assert tolerations_of(default_tolerations(pod)) == tolerations_of(pod) + added


@pytest.mark.requirement("API-ADMISSION-TOLERATIONS")
@given(
    st.lists(
        st.sampled_from([NOT_READY, UNREACHABLE, {"operator": "Exists"}, {"key": "x", "operator": "Exists"}]),
        max_size=3,
    )
)
def test_tolerations_are_added_once_and_kept(given_tolerations: list[dict[str, object]]) -> None:
    once = default_tolerations(with_tolerations(*given_tolerations))
    assert default_tolerations(once) == once  # a second admission (an update) changes nothing
    assert tolerations_of(once)[: len(given_tolerations)] == tolerations_of(
        with_tolerations(*given_tolerations)
    )
    seconds = [t.get("tolerationSeconds") for t in tolerations_of(once)[len(given_tolerations) :]]
    assert seconds == [DEFAULT_TOLERATION_SECONDS] * len(seconds)


@pytest.mark.requirement("API-ADMISSION-TOLERATIONS", "API-ADMISSION-SERVICEACCOUNT")
def test_the_api_server_admits_pods_on_create_and_update() -> None:
    client = Client()
    body = to_dict(make_pod("web", spec={"tolerations": [{"key": "gpu", "operator": "Exists"}]}))
    body["spec"]["containers"][0]["image"] = "nginx:1.27"
    created = client.ok("POST", PODS, body)
    assert created["spec"]["serviceAccountName"] == "default"
    assert created["spec"]["tolerations"] == [{"key": "gpu", "operator": "Exists"}, NOT_READY, UNREACHABLE]
    created["spec"]["tolerations"] = [{"key": "gpu", "operator": "Exists"}]
    updated = client.ok("PUT", f"{PODS}/web", created)
    assert updated["spec"]["tolerations"] == [{"key": "gpu", "operator": "Exists"}, NOT_READY, UNREACHABLE]
    named = to_dict(make_pod("named", spec={"serviceAccountName": "builder"}))
    named["spec"]["containers"][0]["image"] = "nginx:1.27"
    assert client.ok("POST", PODS, named)["spec"]["serviceAccountName"] == "builder"


def test_other_kinds_pass_through() -> None:
    from spec.objects import from_dict
    from tests.apiserver.helpers import config_map

    obj = from_dict(config_map())
    assert admit_create(obj) is obj
