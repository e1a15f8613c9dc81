"""The value types of the wire format (spec/objects/base.py) against upstream's JSON encodings.

Quantity: apimachinery ``pkg/api/resource/quantity.go`` (``UnmarshalJSON``
accepts a string or a bare number, ``MarshalJSON`` writes ``String()``);
IntOrString: ``pkg/util/intstr/intstr.go``; Time and MicroTime:
``pkg/apis/meta/v1/time.go`` (RFC 3339, whole seconds, UTC) and
``micro_time.go`` (six fractional digits); ``[]byte``: Go ``encoding/json``
(standard base64 with padding).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.intstr import IntOrString
from spec.objects import FrozenMap, MicroTime, ObjectError, Time, from_dict, to_dict
from spec.objects.apiextensions import JSONSchemaProps
from spec.objects.apps import Deployment
from spec.objects.base import freeze_json, thaw_json
from spec.objects.coordination import Lease
from spec.objects.core import ConfigMap, Pod, Service
from spec.quantity import Format, Quantity
from tests.spec.strategies import quantities


def _pod_with_limits(limits: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": {"containers": [{"name": "a", "resources": {"limits": limits}}]},
    }


def _limits(pod: Any) -> Any:
    return pod.spec.containers[0].resources.limits


# -- quantities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value", "read_back"),
    [
        ("500m", Quantity(500, -3), "500m"),
        ("1Gi", Quantity(2**30, 0, Format.BINARY_SI), "1Gi"),
        ("0.5", Quantity(5, -1), "500m"),
        ("1e3", Quantity(1000, 0, Format.DECIMAL_EXPONENT), "1e3"),
        (" 2 ", Quantity(2, 0), "2"),  # upstream trims before parsing
        (2, Quantity(2, 0), "2"),  # a bare JSON number
        (0.25, Quantity(25, -2), "250m"),
    ],
)
def test_quantities_read_strings_and_numbers_and_write_canonical_strings(
    written: object, value: Quantity, read_back: str
) -> None:
    pod = from_dict(_pod_with_limits({"cpu": written}))
    assert _limits(pod)["cpu"] == value
    assert to_dict(pod)["spec"]["containers"][0]["resources"]["limits"] == {"cpu": read_back}


@pytest.mark.parametrize("bad", ["1x", "", True, None, [1]])
def test_a_bad_quantity_names_its_resource(bad: object) -> None:
    with pytest.raises(ObjectError) as caught:
        from_dict(_pod_with_limits({"memory": bad}))
    assert caught.value.paths == ("spec.containers[0].resources.limits[memory]",)


@given(quantities())
def test_every_quantity_survives_a_round_trip_and_its_written_form_is_stable(quantity: Quantity) -> None:
    pod = from_dict(_pod_with_limits({"cpu": quantity.canonical()}))
    assert _limits(pod)["cpu"] == quantity
    again = from_dict(to_dict(pod))
    assert to_dict(again) == to_dict(from_dict(to_dict(again)))


# -- int-or-string -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [(8080, IntOrString(8080)), ("http", IntOrString("http")), ("25%", IntOrString("25%"))],
)
def test_int_or_string_keeps_its_json_type(written: int | str, value: IntOrString) -> None:
    data = {"apiVersion": "v1", "kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": written}]}}
    service = from_dict(data)
    assert isinstance(service, Service)
    assert service.spec.ports[0].target_port == value
    assert to_dict(service)["spec"]["ports"][0]["targetPort"] == written


@pytest.mark.parametrize("bad", [1.5, True, 2**31, {"value": 1}])
def test_int_or_string_refuses_other_json_types_and_int32_overflow(bad: object) -> None:
    data = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"strategy": {"rollingUpdate": {"maxSurge": bad}}},
    }
    with pytest.raises(ObjectError) as caught:
        from_dict(data)
    assert caught.value.paths == ("spec.strategy.rollingUpdate.maxSurge",)


def test_an_explicit_zero_int_or_string_is_written_where_the_field_is_a_pointer() -> None:
    data = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"strategy": {"rollingUpdate": {"maxSurge": 0}}},
    }
    deployment = from_dict(data)
    assert isinstance(deployment, Deployment)
    assert to_dict(deployment)["spec"] == {"strategy": {"rollingUpdate": {"maxSurge": 0}}}


def test_null_means_absent_as_in_go() -> None:
    # encoding/json leaves a field at its zero value, or sets a pointer/map/slice to nil, for null;
    # kubectl's own output has "creationTimestamp: null", and "labels:" with nothing after is null in YAML.
    data = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a", "creationTimestamp": None, "labels": None},
        "spec": {"containers": [{"name": None, "resources": None, "ports": None}], "nodeName": None},
        "status": None,
    }
    assert to_dict(from_dict(data, strict=True)) == {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "a"},
        "spec": {"containers": [{}]},
    }


# -- times -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read_back"),
    [
        ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"),
        ("2024-03-01T01:00:00+02:00", "2024-02-29T23:00:00Z"),  # written in UTC, as upstream does
        ("2024-03-01T00:00:00.999999999Z", "2024-03-01T00:00:00Z"),  # seconds only
    ],
)
def test_times_are_rfc3339_in_utc_with_whole_seconds(written: str, read_back: str) -> None:
    data = {"apiVersion": "v1", "kind": "Pod", "metadata": {"creationTimestamp": written}}
    assert to_dict(from_dict(data))["metadata"]["creationTimestamp"] == read_back


@pytest.mark.parametrize(
    "bad",
    ["2024-01-01", "2024-01-01 00:00:00Z", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z", "", 1700000000],
)
def test_times_that_are_not_rfc3339_are_refused(bad: object) -> None:
    with pytest.raises(ObjectError) as caught:
        from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"deletionTimestamp": bad}})
    assert caught.value.paths == ("metadata.deletionTimestamp",)


def test_micro_times_keep_microseconds_and_always_write_six_digits() -> None:
    data = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "spec": {"renewTime": "2024-01-01T00:00:00.1234567Z", "acquireTime": "2024-01-01T00:00:00Z"},
    }
    lease = from_dict(data)
    assert isinstance(lease, Lease)
    assert lease.spec.renew_time == datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)
    assert to_dict(lease)["spec"] == {
        "acquireTime": "2024-01-01T00:00:00.000000Z",
        "renewTime": "2024-01-01T00:00:00.123456Z",
    }


@given(st.datetimes(timezones=st.just(timezone(timedelta(hours=-7)))))
def test_time_of_any_aware_datetime_is_utc_with_whole_seconds(moment: datetime) -> None:
    time = Time.of(moment)
    assert time.tzinfo == UTC and time.microsecond == 0
    assert moment - timedelta(seconds=1) < time <= moment
    assert Time.parse(time.rfc3339()) == time
    micro = MicroTime.of(moment)
    assert micro == moment and MicroTime.parse(micro.rfc3339()) == micro


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Time.of(datetime(2024, 1, 1))


# -- bytes, maps, free-form JSON ---------------------------------------------------------------------


def test_binary_data_is_standard_base64_with_padding() -> None:
    data = {"apiVersion": "v1", "kind": "ConfigMap", "binaryData": {"a": "aGk=", "b": "AP8=\n"}}
    config_map = from_dict(data)
    assert isinstance(config_map, ConfigMap)
    assert config_map.binary_data == {"a": b"hi", "b": b"\x00\xff"}  # line breaks are skipped, as in Go
    assert to_dict(config_map)["binaryData"] == {"a": "aGk=", "b": "AP8="}
    for bad in ("aGk", "a-b_", 5):
        with pytest.raises(ObjectError) as caught:
            from_dict({**data, "binaryData": {"x": bad}})
        assert caught.value.paths == ("binaryData[x]",)


def test_objects_and_their_maps_are_immutable_and_hashable() -> None:
    pod = from_dict({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "labels": {"app": "web"}}})
    assert isinstance(pod, Pod)
    with pytest.raises(Exception, match="frozen"):
        pod.metadata.name = "b"  # type: ignore[misc]
    with pytest.raises(TypeError):
        pod.metadata.labels["app"] = "db"  # type: ignore[index]
    assert hash(pod) == hash(from_dict(to_dict(pod)))
    renamed = pod.replace(metadata=pod.metadata.replace(name="b"))
    assert (pod.metadata.name, renamed.metadata.name) == ("a", "b")


def test_frozen_maps_equal_plain_mappings_and_change_by_copy() -> None:
    labels = FrozenMap({"app": "web"})
    assert labels == {"app": "web"} and labels != {"app": "db"}
    assert labels.set("tier", "fe") == {"app": "web", "tier": "fe"} and labels == {"app": "web"}
    assert labels.without("app") == {}


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_free_form_json_freezes_and_thaws_back(value: Any) -> None:
    frozen = freeze_json(value)
    hash(frozen)
    assert thaw_json(frozen) == value
    schema = JSONSchemaProps.model_validate({"default": value, "enum": [value]})
    assert schema.model_dump(mode="json", exclude_defaults=True).get("default") == value
