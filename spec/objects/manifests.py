"""YAML manifests: the objects of a single- or multi-document YAML stream, as ``kubectl apply -f`` reads them.

What is modelled: kubectl's reading of a file (k8s.io/apimachinery
``pkg/util/yaml`` splitting on ``---``, then ``sigs.k8s.io/yaml``, which
turns each document into JSON before decoding): empty documents are
skipped; YAML timestamps stay strings (JSON has no time type); map keys
that are numbers or booleans become their JSON text (``8080: x`` is the key
``"8080"``); unknown fields are errors by default, as with kubectl's
default ``--validate=strict``.

Errors (``ManifestError``) name the document by its 0-based index in the
stream, the line (1-based) where the problem is when it can be found, and
the field path (``spec.template.spec.containers[0].image``).
``check_manifests`` goes one step further and reports, in the same terms,
what API validation would refuse in every document.

This module takes text, never a file name: reading files is the caller's
business (``spec`` does no I/O).

Requirement IDs: none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from spec.objects.defaults import default
from spec.objects.meta import KindModel
from spec.objects.registry import FieldProblem, ObjectError, from_dict, info_of
from spec.objects.validation import validate


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp type: sigs.k8s.io/yaml keeps ``2024-01-01T00:00:00Z`` a string."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class ManifestProblem:
    """One problem in a manifest: which document, which line (if known), which field, and why."""

    document: int
    line: int | None
    path: str
    reason: str

    def __str__(self) -> str:
        where = f"document {self.document}"
        if self.line is not None:
            where += f", line {self.line}"
        return f"{where}: {self.path}: {self.reason}" if self.path else f"{where}: {self.reason}"


class ManifestError(ValueError):
    """A manifest that does not read as objects; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[ManifestProblem]) -> None:
        self.problems: tuple[ManifestProblem, ...] = tuple(problems)
        super().__init__("; ".join(str(problem) for problem in self.problems))


def _documents(text: str) -> Iterator[tuple[int, yaml.Node, Any]]:
    """Each non-empty document of the stream: its index, its YAML node and its JSON value.

    Invalid YAML ends the stream (the parser cannot resynchronise) with a
    ``ManifestError`` naming the document and line.
    """
    loader = _Loader(text)
    document = -1
    try:
        while True:
            document += 1
            try:
                if not loader.check_node():
                    return
                node = loader.get_node()
                if node is None:
                    return
                data = _jsonify(loader.construct_document(node))
            except yaml.MarkedYAMLError as error:
                mark = error.problem_mark or error.context_mark
                line = mark.line + 1 if mark is not None else None
                reason = " ".join(part for part in (error.context, error.problem) if part)
                raise ManifestError(
                    [ManifestProblem(document, line, "", f"invalid YAML: {reason}")]
                ) from None
            except (yaml.YAMLError, ValueError) as error:  # ValueError: a key JSON cannot have
                raise ManifestError([ManifestProblem(document, None, "", f"invalid YAML: {error}")]) from None
            if data is not None:  # None: an empty document, as between two "---"
                yield document, node, data
    finally:
        loader.dispose()


def load_manifests(text: str, *, strict: bool = True) -> list[KindModel]:
    """The objects of a YAML stream, in order; raises ``ManifestError`` naming document, line and field."""
    objects: list[KindModel] = []
    for document, node, data in _documents(text):
        try:
            objects.append(from_dict(data, strict=strict))
        except ObjectError as error:
            raise ManifestError([_locate(document, node, problem) for problem in error.problems]) from None
    return objects


def check_manifests(text: str, *, namespace: str = "default", strict: bool = True) -> list[ManifestProblem]:
    """Every problem of every document: reading errors, then what API validation would refuse.

    What ``kubectl apply --dry-run=server -f`` would report, document by
    document: each object is given ``namespace`` if it is namespaced and
    names none (kubectl sends it to the current namespace), defaulted and
    validated (``spec.objects.validation``). [] when every document would
    be accepted.
    """
    problems: list[ManifestProblem] = []
    try:
        for document, node, data in _documents(text):
            try:
                obj = from_dict(data, strict=strict)
            except ObjectError as error:
                problems += [_locate(document, node, problem) for problem in error.problems]
                continue
            if info_of(obj).namespaced and not obj.metadata.namespace:
                obj = obj.replace(metadata=obj.metadata.replace(namespace=namespace))
            for field_error in validate(default(obj)):
                problems.append(
                    ManifestProblem(
                        document, _line_of(node, field_error.field), field_error.field, field_error.body
                    )
                )
    except ManifestError as error:
        problems += error.problems
    return problems


def _jsonify(value: Any) -> Any:
    """What sigs.k8s.io/yaml's YAML-to-JSON step makes of a constructed YAML value."""
    if isinstance(value, dict):
        return {_json_key(key): _jsonify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonify(item) for item in value]
    return value


def _json_key(key: object) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return repr(key)
    if key is None:
        return "null"
    raise ValueError(f"a map key must be a scalar, not {type(key).__name__}")


def _locate(document: int, node: yaml.Node, problem: FieldProblem) -> ManifestProblem:
    return ManifestProblem(document, _line_of(node, problem.path), problem.path, problem.reason)


def _path_steps(path: str) -> list[str | int]:
    """``spec.containers[0].name`` -> ["spec", "containers", 0, "name"]; a ``[key]`` is kept whole."""
    steps: list[str | int] = []
    index = 0
    while index < len(path):
        if path[index] == "[":
            end = path.index("]", index)
            key = path[index + 1 : end]
            steps.append(int(key) if key.isdigit() else key)
            index = end + 1
        elif path[index] == ".":
            index += 1
        else:
            end = index
            while end < len(path) and path[end] not in ".[":
                end += 1
            steps.append(path[index:end])
            index = end
    return steps


def _line_of(node: yaml.Node, path: str) -> int:
    """The 1-based line of the deepest part of ``path`` in the document: a field's key, a list's item."""
    current = node
    line: int = node.start_mark.line
    for step in _path_steps(path):
        found = _child(current, step)
        if found is None:
            break
        line, current = found
    return line + 1


def _child(node: yaml.Node, step: str | int) -> tuple[int, yaml.Node] | None:
    """The line where ``step`` is written in ``node`` (the key's, for a mapping) and the node it leads to."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(step):
                return key.start_mark.line, value
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        item: yaml.Node = node.value[step]
        return item.start_mark.line, item
    return None
