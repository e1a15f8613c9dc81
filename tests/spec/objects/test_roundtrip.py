"""Reading and writing objects of every kind: round trips, JSON text, and which fields are written.

The generated objects are those of ``conformance/strategies/objects.py``;
each property runs once per registered kind.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.strategies.objects import BUILDERS, objects_of
from spec.objects import KINDS, KindModel, from_dict, from_json, to_dict, to_json
from spec.objects.base import Model
from spec.objects.networking import NetworkPolicy, NetworkPolicySpec

KIND_IDS = [f"{info.api_version}/{info.kind}" for info in KINDS]
KIND_MODELS = [info.model for info in KINDS]


def test_every_registered_kind_has_a_strategy() -> None:
    assert set(BUILDERS) == set(KIND_MODELS)


@pytest.mark.parametrize("kind", KIND_MODELS, ids=KIND_IDS)
@given(data=st.data())
def test_from_dict_of_to_dict_is_the_object(kind: type[KindModel], data: st.DataObject) -> None:
    obj = data.draw(objects_of(kind))
    written = to_dict(obj)
    assert from_dict(written, strict=True) == obj
    # A dict that went through JSON text (lists, not tuples; str keys) reads the same.
    assert from_dict(json.loads(json.dumps(written)), strict=True) == obj


@pytest.mark.parametrize("kind", KIND_MODELS, ids=KIND_IDS)
@given(data=st.data())
def test_json_text_round_trip(kind: type[KindModel], data: st.DataObject) -> None:
    obj = data.draw(objects_of(kind))
    text = to_json(obj)
    assert from_json(text) == obj
    assert json.loads(text) == to_dict(obj)


@pytest.mark.parametrize("kind", KIND_MODELS, ids=KIND_IDS)
@given(data=st.data())
def test_the_written_form_is_stable_after_one_read(kind: type[KindModel], data: st.DataObject) -> None:
    # Quantities may change spelling once (a BinarySI value that reads back as DecimalSI), never twice.
    once = to_dict(from_dict(to_dict(data.draw(objects_of(kind)))))
    assert to_dict(from_dict(once)) == once


def _check_written_fields(model: Model, written: dict[str, Any], path: str) -> None:
    """A field is written exactly when it differs from its default (or is one of ``_always_written``)."""
    for name, field in type(model).model_fields.items():
        key = field.serialization_alias or field.alias or name
        value = getattr(model, name)
        at = f"{path}.{key}"
        if value == field.default and name not in model._always_written:
            assert key not in written, f"{at} holds its default {value!r} and must be left out"
            continue
        assert key in written, f"{at} = {value!r} must be written"
        _check_nested(value, written[key], at)


def _check_nested(value: Any, written: Any, path: str) -> None:
    if isinstance(value, Model):
        assert isinstance(written, dict)
        _check_written_fields(value, written, path)
    elif isinstance(value, tuple):
        assert isinstance(written, list) and len(written) == len(value), path
        for index, (item, item_written) in enumerate(zip(value, written, strict=True)):
            _check_nested(item, item_written, f"{path}[{index}]")


@pytest.mark.parametrize("kind", KIND_MODELS, ids=KIND_IDS)
@given(data=st.data())
def test_fields_holding_their_default_are_left_out(kind: type[KindModel], data: st.DataObject) -> None:
    obj = data.draw(objects_of(kind))
    written = to_dict(obj)
    assert (written.pop("apiVersion"), written.pop("kind")) == (obj.api_version, obj.kind)
    _check_written_fields(obj, written, "")


def test_an_empty_object_is_just_its_type() -> None:
    for info in KINDS:
        written = to_dict(info.model())
        if info.kind == "EndpointSlice":
            assert written == {
                "apiVersion": info.api_version,
                "kind": info.kind,
                "addressType": "",
                "endpoints": [],
            }
        elif info.kind in ("Role", "ClusterRole"):
            assert written == {"apiVersion": info.api_version, "kind": info.kind, "rules": []}
        else:
            assert written == {"apiVersion": info.api_version, "kind": info.kind}


def test_a_network_policy_always_writes_its_pod_selector() -> None:
    # podSelector has no omitempty upstream: {} selects every pod of the namespace.
    policy = NetworkPolicy(spec=NetworkPolicySpec(policy_types=("Ingress",)))
    assert to_dict(policy)["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
