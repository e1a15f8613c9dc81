"""Finalizers and deletionTimestamp in the request core (API-FINALIZERS)."""

from __future__ import annotations

import pytest

from spec.patch import MERGE_PATCH
from tests.apiserver.helpers import (
    CONFIGMAPS,
    DEPLOYMENTS,
    Client,
    assert_status,
    config_map,
    deployment,
    edited,
)


@pytest.mark.requirement("API-FINALIZERS")
def test_a_delete_marks_an_object_with_finalizers_and_the_last_finalizer_removed_deletes_it() -> None:
    client = Client()
    client.ok("POST", CONFIGMAPS, edited(config_map("held"), finalizers=["example.com/a", "example.com/b"]))
    watch = client.watch(CONFIGMAPS)
    marked = client.ok("DELETE", CONFIGMAPS + "/held")
    assert marked["metadata"]["deletionTimestamp"] and marked["metadata"]["deletionGracePeriodSeconds"] == 0
    again = client.ok("DELETE", CONFIGMAPS + "/held")  # a second delete changes nothing
    assert again["metadata"]["resourceVersion"] == marked["metadata"]["resourceVersion"]
    stored = client.ok("GET", CONFIGMAPS + "/held")
    assert stored["metadata"]["deletionTimestamp"] == marked["metadata"]["deletionTimestamp"]
    # A finalizer may go, none may come.
    one_left = client.ok("PUT", CONFIGMAPS + "/held", edited(stored, finalizers=["example.com/b"]))
    assert client.ok("GET", CONFIGMAPS + "/held")["metadata"]["finalizers"] == ["example.com/b"]
    adding = client.call(
        "PUT", CONFIGMAPS + "/held", edited(one_left, finalizers=["example.com/b", "example.com/c"])
    )
    status = assert_status(adding, 422, "Invalid")
    assert status["details"]["causes"][0]["field"] == "metadata.finalizers"
    # The client cannot clear deletionTimestamp by leaving it out.
    client.ok(
        "PUT", CONFIGMAPS + "/held", edited(one_left, deletionTimestamp=None, finalizers=["example.com/b"])
    )
    assert client.ok("GET", CONFIGMAPS + "/held")["metadata"]["deletionTimestamp"]
    response = client.patch(CONFIGMAPS + "/held", {"metadata": {"finalizers": None}}, MERGE_PATCH)
    assert response.status == 200, response.body
    assert_status(client.call("GET", CONFIGMAPS + "/held"), 404, "NotFound")
    kinds = [event["type"] for event in client.drain(watch)]
    # The watch's initial ADDED, the mark, the finalizer removed, the delete; the update that only
    # left deletionTimestamp out wrote nothing (the stored object was unchanged).
    assert kinds == ["ADDED", "MODIFIED", "MODIFIED", "DELETED"], kinds


@pytest.mark.requirement("API-FINALIZERS")
def test_marking_for_deletion_bumps_the_generation_of_kinds_that_track_it() -> None:
    client = Client()
    created = client.ok("POST", DEPLOYMENTS, edited(deployment("d"), finalizers=["example.com/a"]))
    marked = client.ok("DELETE", DEPLOYMENTS + "/d")
    assert marked["metadata"]["generation"] == created["metadata"]["generation"] + 1


@pytest.mark.requirement("API-FINALIZERS")
def test_an_object_without_finalizers_goes_at_once() -> None:
    client = Client()
    client.ok("POST", CONFIGMAPS, config_map("plain"))
    client.ok("DELETE", CONFIGMAPS + "/plain")
    assert_status(client.call("GET", CONFIGMAPS + "/plain"), 404, "NotFound")
