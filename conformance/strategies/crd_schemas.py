"""Structural schemas with a value each satisfies, and leaf mutations that break them (as JSON).

Used by tests/spec/test_crd_schema.py (validation of generated values
passes; a mutated leaf is reported at its path) and by
conformance/apiserver/test_customresources.py (the same through a server).
The schemas use the keywords spec/crd_schema.py checks: integer bounds,
string lengths and pattern, enums, int-or-string, arrays with maxItems,
maps (additionalProperties) with maxProperties, objects with required.

Requirement IDs: none.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


@st.composite
def schema_and_value(draw: st.DrawFn, depth: int = 2) -> tuple[dict[str, Any], Any]:
    """A structural schema (as JSON) with bounds, and a value that satisfies it."""
    kinds = ["integer", "string", "boolean", "enum", "intorstring"] + (
        ["array", "object", "map"] if depth else []
    )
    kind = draw(st.sampled_from(kinds))
    if kind == "integer":
        low = draw(st.integers(-5, 5))
        high = low + draw(st.integers(0, 10))
        return {"type": "integer", "minimum": low, "maximum": high}, draw(st.integers(low, high))
    if kind == "string":
        low = draw(st.integers(0, 3))
        high = low + draw(st.integers(0, 5))
        return (
            {"type": "string", "minLength": low, "maxLength": high, "pattern": "^[a-z]*$"},
            draw(st.text("abcxyz", min_size=low, max_size=high)),
        )
    if kind == "boolean":
        return {"type": "boolean"}, draw(st.booleans())
    if kind == "enum":
        options = draw(st.lists(st.sampled_from("abcde"), min_size=1, max_size=4, unique=True))
        return {"type": "string", "enum": options}, draw(st.sampled_from(options))
    if kind == "intorstring":
        return {"x-kubernetes-int-or-string": True}, draw(st.integers(0, 9) | st.sampled_from(["25%", "x"]))
    if kind == "array":
        item_schema, _ = draw(schema_and_value(depth - 1))
        items = draw(st.lists(values_for(item_schema), max_size=3))
        return {"type": "array", "items": item_schema, "maxItems": 3}, items
    if kind == "map":
        item_schema, _ = draw(schema_and_value(0))
        keys = draw(st.lists(st.sampled_from("klmn"), max_size=3, unique=True))
        return (
            {"type": "object", "additionalProperties": item_schema, "maxProperties": 3},
            {key: draw(values_for(item_schema)) for key in keys},
        )
    names = draw(
        st.lists(st.sampled_from(["alpha", "beta", "gamma", "delta"]), min_size=1, max_size=3, unique=True)
    )
    properties: dict[str, Any] = {}
    value: dict[str, Any] = {}
    for name in names:
        child, child_value = draw(schema_and_value(depth - 1))
        properties[name] = child
        value[name] = child_value
    required_names = draw(st.lists(st.sampled_from(names), unique=True))
    return {"type": "object", "properties": properties, "required": required_names}, value


def values_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A value valid for ``schema``: a fresh object at each draw (array items must not share one)."""
    return st.just(schema).map(example)


def example(schema: dict[str, Any]) -> Any:
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("x-kubernetes-int-or-string"):
        return 1
    kind = schema["type"]
    if kind == "integer":
        return schema["minimum"]
    if kind == "string":
        return "a" * schema["minLength"]
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if "additionalProperties" in schema:
        return {}
    return {name: example(child) for name, child in schema["properties"].items()}


def leaves(schema: dict[str, Any], value: Any, path: str) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(path, schema, the container path) of every leaf value; the container path locates it in ``value``."""
    found: list[tuple[str, dict[str, Any], list[Any]]] = []

    def walk(node: dict[str, Any], current: Any, where: str, keys: list[Any]) -> None:
        if isinstance(current, dict) and "properties" in node:
            for name, child in node["properties"].items():
                if name in current:
                    walk(child, current[name], f"{where}.{name}", [*keys, name])
        elif isinstance(current, dict) and "additionalProperties" in node:
            for name in current:
                walk(node["additionalProperties"], current[name], f"{where}.{name}", [*keys, name])
        elif isinstance(current, list):
            for index, item in enumerate(current):
                walk(node["items"], item, f"{where}[{index}]", [*keys, index])
        else:
            found.append((where, node, keys))

    walk(schema, value, path, [])
    return found


def mutation(schema: dict[str, Any], value: Any) -> Any:
    """A value that breaks ``schema`` (a leaf's)."""
    if "enum" in schema:
        return "zz"
    if schema.get("x-kubernetes-int-or-string"):
        return [value]
    kind = schema["type"]
    if kind == "integer":
        return schema["maximum"] + 1
    if kind == "string":
        return "a" * (schema["maxLength"] + 1) if schema["maxLength"] < 8 else "A"
    return "not a boolean"
