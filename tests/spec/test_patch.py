"""spec/patch.py: RFC 7386's and RFC 6902's own examples, strategic merge cases, and properties."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec.patch import (
    JSONPatchFailed,
    MalformedPatch,
    StrategicPatchError,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    create_merge_patch,
    json_equal,
    parse_pointer,
    strategic_root,
)

# -- RFC 7386, Appendix A ---------------------------------------------------------------------------


@pytest.mark.requirement("API-PATCH-MERGE")
@pytest.mark.parametrize(
    ("original", "patch", "result"),
    [
        ('{"a":"b"}', '{"a":"c"}', '{"a":"c"}'),
        ('{"a":"b"}', '{"b":"c"}', '{"a":"b","b":"c"}'),
        ('{"a":"b"}', '{"a":null}', "{}"),
        ('{"a":"b","b":"c"}', '{"a":null}', '{"b":"c"}'),
        ('{"a":["b"]}', '{"a":"c"}', '{"a":"c"}'),
        ('{"a":"c"}', '{"a":["b"]}', '{"a":["b"]}'),
        ('{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}', '{"a":{"b":"d"}}'),
        ('{"a":[{"b":"c"}]}', '{"a":[1]}', '{"a":[1]}'),
        ('["a","b"]', '["c","d"]', '["c","d"]'),
        ('{"a":"b"}', '["c"]', '["c"]'),
        ('{"a":"foo"}', "null", "null"),
        ('{"a":"foo"}', '"bar"', '"bar"'),
        ('{"e":null}', '{"a":1}', '{"e":null,"a":1}'),
        ("[1,2]", '{"a":"b","c":null}', '{"a":"b"}'),
        ("{}", '{"a":{"bb":{"ccc":null}}}', '{"a":{"bb":{}}}'),
    ],
)
def test_rfc7386_appendix_a(original: str, patch: str, result: str) -> None:
    before, body = json.loads(original), json.loads(patch)
    kept = copy.deepcopy(before)
    assert apply_merge_patch(before, body) == json.loads(result)
    assert before == kept  # the target is not modified


# -- RFC 6902, Appendix A ---------------------------------------------------------------------------

_RFC6902_OK = [
    ("A.1", {"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}], {"baz": "qux", "foo": "bar"}),
    (
        "A.2",
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    ("A.3", {"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
    ("A.4", {"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}], {"foo": ["bar", "baz"]}),
    (
        "A.5",
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (
        "A.6",
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (
        "A.7",
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (
        "A.8",
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [{"op": "test", "path": "/baz", "value": "qux"}, {"op": "test", "path": "/foo/1", "value": 2}],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (
        "A.10",
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (
        "A.11",
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    ("A.14", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": 10}], {"/": 9, "~1": 10}),
    (
        "A.16",
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
    # beyond the appendix: copy, and replacing / adding the whole document
    ("copy", {"a": {"b": 1}}, [{"op": "copy", "from": "/a", "path": "/c"}], {"a": {"b": 1}, "c": {"b": 1}}),
    ("root", {"a": 1}, [{"op": "replace", "path": "", "value": [1]}], [1]),
    ("escapes", {"a/b": {"m~n": 1}}, [{"op": "remove", "path": "/a~1b/m~0n"}], {"a/b": {}}),
]


@pytest.mark.requirement("API-PATCH-JSON")
@pytest.mark.parametrize(
    ("section", "document", "patch", "result"), _RFC6902_OK, ids=[c[0] for c in _RFC6902_OK]
)
def test_rfc6902_appendix_a(section: str, document: Any, patch: Any, result: Any) -> None:
    kept = copy.deepcopy(document)
    assert apply_json_patch(document, patch) == result
    assert document == kept


_RFC6902_ERRORS = [
    ("A.9", {"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}]),
    ("A.12", {"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}]),
    # A.13's duplicate "op" decodes (last wins) as a remove of a member that does not exist.
    ("A.13", {"foo": "bar"}, json.loads('[{"op": "add", "path": "/baz", "value": "qux", "op": "remove"}]')),
    ("A.15", {"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}]),
    ("replace-missing", {"a": 1}, [{"op": "replace", "path": "/b", "value": 2}]),
    ("remove-missing", {"a": [1]}, [{"op": "remove", "path": "/a/1"}]),
    ("index-past-end", {"a": [1]}, [{"op": "add", "path": "/a/2", "value": 2}]),
    ("leading-zero", {"a": [1, 2]}, [{"op": "remove", "path": "/a/01"}]),
    ("dash-outside-add", {"a": [1]}, [{"op": "replace", "path": "/a/-", "value": 2}]),
    ("move-into-child", {"a": {"b": {}}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}]),
    ("unknown-op", {"a": 1}, [{"op": "frob", "path": "/a"}]),
    ("no-value", {"a": 1}, [{"op": "add", "path": "/b"}]),
    ("no-slash", {"a": 1}, [{"op": "remove", "path": "a"}]),
    ("bad-escape", {"a~2": 1}, [{"op": "remove", "path": "/a~2"}]),
    ("true-is-not-1", {"a": 1}, [{"op": "test", "path": "/a", "value": True}]),
    # the first operation applied, the second failed: the whole patch fails
    ("atomic", {"a": 1}, [{"op": "add", "path": "/b", "value": 2}, {"op": "test", "path": "/a", "value": 3}]),
]


@pytest.mark.requirement("API-PATCH-JSON")
@pytest.mark.parametrize(
    ("section", "document", "patch"), _RFC6902_ERRORS, ids=[c[0] for c in _RFC6902_ERRORS]
)
def test_rfc6902_errors(section: str, document: Any, patch: Any) -> None:
    kept = copy.deepcopy(document)
    with pytest.raises(JSONPatchFailed):
        apply_json_patch(document, patch)
    assert document == kept


@pytest.mark.requirement("API-PATCH-JSON")
@pytest.mark.parametrize("patch", [{"op": "add"}, "x", [1], [[]], None])
def test_a_json_patch_that_is_not_an_array_of_objects_is_malformed(patch: Any) -> None:
    with pytest.raises(MalformedPatch):
        apply_json_patch({}, patch)


def test_pointer_escapes_decode_tilde_one_before_tilde_zero() -> None:
    assert parse_pointer("") == []
    assert parse_pointer("/") == [""]
    assert parse_pointer("/a~1b/~01/~0") == ["a/b", "~1", "~"]


def test_json_equal_tells_booleans_from_numbers() -> None:
    assert json_equal(1, 1.0) and json_equal({"a": [1]}, {"a": [1.0]})
    assert not json_equal(True, 1) and not json_equal(0, False) and not json_equal("1", 1)
    assert not json_equal({"a": 1}, {"a": 1, "b": 2}) and not json_equal([1], [1, 1])


# -- strategic merge patch --------------------------------------------------------------------------


def pod(*containers: dict[str, Any], **metadata: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "web", **metadata},
        "spec": {"containers": list(containers)},
    }


APP = {
    "name": "app",
    "image": "nginx",
    "env": [{"name": "A", "value": "1"}],
    "ports": [{"containerPort": 80}],
}
SIDE = {"name": "side", "image": "envoy"}
POD = strategic_root("v1", "Pod")


def smp(original: Any, patch: Any, root: str | None = POD) -> Any:
    kept = copy.deepcopy(original)
    result = apply_strategic_merge_patch(original, patch, root)
    assert original == kept
    return result


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_containers_merge_by_name_and_env_by_name() -> None:
    patch = {"spec": {"containers": [{"name": "app", "env": [{"name": "B", "value": "2"}]}]}}
    result = smp(pod(APP, SIDE), patch)
    app, side = result["spec"]["containers"]
    assert side == SIDE and app["image"] == "nginx" and app["ports"] == [{"containerPort": 80}]
    # mergeSortedSlice: the patch's elements first, the server-only ones after unless both were there
    assert app["env"] == [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}]
    # under a merge patch the same body replaces the whole list
    assert apply_merge_patch(pod(APP, SIDE), patch)["spec"]["containers"] == [
        {"name": "app", "env": [{"name": "B", "value": "2"}]}
    ]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_an_existing_env_var_and_port_are_updated_in_place() -> None:
    patch = {
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "env": [{"name": "A", "value": "9"}],
                    "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}],
                }
            ]
        }
    }
    app = smp(pod(APP, SIDE), patch)["spec"]["containers"][0]
    assert app["env"] == [{"name": "A", "value": "9"}]
    assert app["ports"] == [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_the_order_of_elements_present_before_is_kept() -> None:
    original = pod({"name": "a"}, {"name": "b"}, {"name": "c"})
    result = smp(
        original, {"spec": {"containers": [{"name": "c", "image": "x"}, {"name": "a", "image": "y"}]}}
    )
    # mergeSortedSlice: b (server-only) goes before c because it came before c in the old list
    assert [c["name"] for c in result["spec"]["containers"]] == ["b", "c", "a"]
    result = smp(original, {"spec": {"containers": [{"name": "b", "image": "x"}]}})
    assert [c["name"] for c in result["spec"]["containers"]] == ["a", "b", "c"]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_finalizers_merge_as_a_set_and_owner_references_by_uid() -> None:
    original = pod(APP, finalizers=["a", "b"], ownerReferences=[{"uid": "1", "name": "x"}])
    result = smp(
        original,
        {"metadata": {"finalizers": ["b", "c"], "ownerReferences": [{"uid": "2", "name": "y"}]}},
    )
    assert result["metadata"]["finalizers"] == ["a", "b", "c"]
    assert result["metadata"]["ownerReferences"] == [{"uid": "2", "name": "y"}, {"uid": "1", "name": "x"}]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_status_conditions_merge_by_type() -> None:
    original = {
        **pod(APP),
        "status": {
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "Scheduled", "status": "True"}]
        },
    }
    patch = {"status": {"conditions": [{"type": "Ready", "status": "True"}]}}
    result = smp(original, patch)
    assert result["status"]["conditions"] == [
        {"type": "Ready", "status": "True"},
        {"type": "Scheduled", "status": "True"},
    ]
    node = {"metadata": {"name": "n"}, "status": {"addresses": [{"type": "Hostname", "address": "n"}]}}
    patched = smp(node, {"status": {"addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}}, "Node")
    assert [a["type"] for a in patched["status"]["addresses"]] == ["InternalIP", "Hostname"]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_service_ports_merge_by_port_and_untagged_lists_replace() -> None:
    service = {"spec": {"ports": [{"port": 80}, {"port": 443}], "externalIPs": ["1.1.1.1"]}}
    result = smp(
        service, {"spec": {"ports": [{"port": 443, "name": "tls"}], "externalIPs": ["2.2.2.2"]}}, "Service"
    )
    assert result["spec"]["ports"] == [{"port": 80}, {"port": 443, "name": "tls"}]
    assert result["spec"]["externalIPs"] == ["2.2.2.2"]
    tolerations = smp(
        {"spec": {"tolerations": [{"key": "a"}]}}, {"spec": {"tolerations": [{"key": "b"}]}}
    )  # PodSpec.tolerations has no patchStrategy
    assert tolerations["spec"]["tolerations"] == [{"key": "b"}]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_a_deployment_template_merges_like_a_pod() -> None:
    deployment = {"spec": {"replicas": 1, "template": {"spec": {"containers": [APP, SIDE]}}}}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "envoy:2"}]}}}}
    result = smp(deployment, patch, strategic_root("apps/v1", "Deployment"))
    assert result["spec"]["template"]["spec"]["containers"] == [APP, {"name": "side", "image": "envoy:2"}]
    assert result["spec"]["replicas"] == 1


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_patch_delete_in_a_list_element_removes_it() -> None:
    result = smp(pod(APP, SIDE), {"spec": {"containers": [{"name": "side", "$patch": "delete"}]}})
    assert result["spec"]["containers"] == [APP]
    env = {"spec": {"containers": [{"name": "app", "env": [{"name": "A", "$patch": "delete"}]}]}}
    assert smp(pod(APP), env)["spec"]["containers"][0]["env"] == []


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_patch_replace_in_a_list_makes_the_patch_the_whole_list() -> None:
    patch = {"spec": {"containers": [{"name": "new", "image": "x"}, {"$patch": "replace"}]}}
    assert smp(pod(APP, SIDE), patch)["spec"]["containers"] == [{"name": "new", "image": "x"}]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_patch_replace_and_delete_in_a_map() -> None:
    original = pod(APP, labels={"a": "1", "b": "2"}, annotations={"x": "y"})
    result = smp(original, {"metadata": {"labels": {"c": "3", "$patch": "replace"}}})
    assert result["metadata"]["labels"] == {"c": "3"}
    result = smp(original, {"metadata": {"annotations": {"$patch": "delete"}}})
    assert result["metadata"]["annotations"] == {}
    assert result["metadata"]["labels"] == {"a": "1", "b": "2"}
    # a deleted map that was not there is not added
    assert "spec" not in smp({"metadata": {}}, {"spec": {"$patch": "delete"}})


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_delete_from_primitive_list() -> None:
    original = pod(APP, finalizers=["a", "b", "c"])
    result = smp(original, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "z"]}})
    assert result["metadata"]["finalizers"] == ["a", "c"]
    # on a list that is not there, nothing is added
    assert (
        "finalizers"
        not in smp(pod(APP), {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})["metadata"]
    )
    both = {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["d"]}}
    assert smp(original, both)["metadata"]["finalizers"] == ["d", "b", "c"]


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_retain_keys_clears_the_other_members() -> None:
    volume = {"name": "data", "emptyDir": {}}
    original = {"spec": {"containers": [APP], "volumes": [volume]}}
    patch = {
        "spec": {
            "volumes": [{"name": "data", "$retainKeys": ["name", "hostPath"], "hostPath": {"path": "/x"}}]
        }
    }
    assert smp(original, patch)["spec"]["volumes"] == [{"name": "data", "hostPath": {"path": "/x"}}]
    with pytest.raises(MalformedPatch):
        smp(original, {"spec": {"volumes": [{"name": "data", "$retainKeys": ["name"], "hostPath": {}}]}})
    with pytest.raises(MalformedPatch):
        smp(original, {"spec": {"volumes": [{"name": "data", "$retainKeys": "name"}]}})


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_nulls_delete_and_new_values_are_cleaned() -> None:
    original = pod(APP, labels={"a": "1"})
    result = smp(
        original, {"metadata": {"labels": {"a": None, "b": "2"}, "annotations": {"x": None, "y": "z"}}}
    )
    assert result["metadata"]["labels"] == {"b": "2"} and result["metadata"]["annotations"] == {"y": "z"}


@pytest.mark.requirement("API-PATCH-STRATEGIC")
def test_kinds_without_tagged_fields_merge_like_a_merge_patch() -> None:
    config_map = {"metadata": {"name": "c", "finalizers": ["a"]}, "data": {"a": "1", "b": "2"}}
    patch = {"data": {"a": None, "c": "3"}, "metadata": {"finalizers": ["b"]}}
    root = strategic_root("v1", "ConfigMap")
    result = smp(config_map, patch, root)
    assert result["data"] == {"b": "2", "c": "3"}
    assert result["metadata"]["finalizers"] == ["b", "a"]  # ObjectMeta's tags hold for every kind
    assert smp(config_map, {"data": {"x": "1"}}, None) == apply_merge_patch(config_map, {"data": {"x": "1"}})


@pytest.mark.requirement("API-PATCH-STRATEGIC")
@pytest.mark.parametrize(
    ("patch", "error"),
    [
        ({"spec": {"containers": [{"image": "no-name"}]}}, StrategicPatchError),  # no merge key
        ({"spec": {"containers": [{"name": "app", "$patch": "frob"}]}}, StrategicPatchError),
        ({"metadata": {"$patch": "frob"}}, StrategicPatchError),
        ({"spec": {"containers": ["app"]}}, StrategicPatchError),  # maps and scalars in one list
        ({"metadata": {"finalizers": [["a"]]}}, StrategicPatchError),  # a list of lists
        ([{"op": "add"}], MalformedPatch),  # not an object
    ],
)
def test_strategic_errors(patch: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        smp(pod(APP, finalizers=["x"]), patch)


# -- properties -------------------------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers(-5, 5) | st.text("ab", max_size=2)
_KEYS = st.text("abc", min_size=1, max_size=2)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=3),
    max_leaves=10,
)


def _no_null_members(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and _no_null_members(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_null_members(v) for v in value)
    return True


@pytest.mark.requirement("API-PATCH-MERGE")
@given(_VALUES, _VALUES.filter(_no_null_members))
def test_applying_the_merge_patch_of_a_diff_gives_the_target(original: Any, modified: Any) -> None:
    patch = create_merge_patch(original, modified)
    assert json_equal(apply_merge_patch(original, patch), modified)


@pytest.mark.requirement("API-PATCH-MERGE")
@given(_VALUES, _VALUES)
def test_a_merge_patch_is_idempotent(original: Any, patch: Any) -> None:
    once = apply_merge_patch(original, patch)
    assert json_equal(apply_merge_patch(once, patch), once)


@pytest.mark.requirement("API-PATCH-STRATEGIC")
@given(
    st.dictionaries(_KEYS, _VALUES, max_size=3),
    st.dictionaries(_KEYS, _VALUES, max_size=3).filter(lambda patch: _no_null_members_in_lists(patch)),
)
def test_without_tags_or_directives_a_strategic_patch_is_a_merge_patch(original: Any, patch: Any) -> None:
    assert json_equal(apply_strategic_merge_patch(original, patch, None), apply_merge_patch(original, patch))


def _no_null_members_in_lists(value: Any, in_list: bool = False) -> bool:
    """A merge patch copies lists verbatim; the strategic patch drops null members of maps inside them."""
    if isinstance(value, dict):
        return all(
            not (in_list and v is None) and _no_null_members_in_lists(v, in_list) for v in value.values()
        )
    if isinstance(value, list):
        return all(_no_null_members_in_lists(v, True) for v in value)
    return True


@pytest.mark.requirement("API-PATCH-JSON")
@given(st.dictionaries(_KEYS, _VALUES, max_size=4), _KEYS, _VALUES)
def test_a_failed_test_leaves_the_document_unchanged(document: Any, key: Any, value: Any) -> None:
    kept = copy.deepcopy(document)
    wrong = {"never": "equal"} if key not in document else [document[key], "different"]
    patch = [
        {"op": "add", "path": "/added", "value": value},
        {"op": "remove", "path": "/added"},
        {"op": "test", "path": f"/{key}", "value": wrong},
    ]
    with pytest.raises(JSONPatchFailed):
        apply_json_patch(document, patch)
    assert document == kept


@pytest.mark.requirement("API-PATCH-JSON")
@given(st.dictionaries(_KEYS, _VALUES, max_size=4), _KEYS, _VALUES)
def test_add_then_test_then_remove_round_trips(document: Any, key: Any, value: Any) -> None:
    path = "/" + key.replace("~", "~0").replace("/", "~1")
    patch = [
        {"op": "add", "path": path, "value": value},
        {"op": "test", "path": path, "value": value},
    ]
    added = apply_json_patch(document, patch)
    assert json_equal(added, {**document, key: value})
    if key not in document:
        assert json_equal(apply_json_patch(added, [{"op": "remove", "path": path}]), document)
