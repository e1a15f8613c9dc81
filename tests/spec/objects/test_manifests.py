"""YAML manifests: the corpus in examples/manifests/ and the errors of broken ones.

The corpus is written the way the Kubernetes documentation writes its
examples; every document must read strictly (no unknown field) and write
back to exactly the document it came from, which shows that every field
the corpus uses is modelled and that nothing is lost or invented.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from spec.objects import ManifestError, default, from_dict, load_manifests, to_dict
from spec.objects.core import ConfigMap
from spec.objects.manifests import _Loader

CORPUS = Path(__file__).resolve().parents[3] / "examples" / "manifests"
FILES = sorted(CORPUS.glob("*.yaml"))


def test_the_corpus_has_at_least_twenty_manifests_covering_the_seed_kinds() -> None:
    assert len(FILES) >= 20
    kinds = {(obj.api_version, obj.kind) for path in FILES for obj in load_manifests(path.read_text())}
    assert kinds >= {
        ("apps/v1", "Deployment"),
        ("apps/v1", "ReplicaSet"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
        ("batch/v1", "CronJob"),
        ("v1", "Service"),
        ("v1", "Pod"),
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "Namespace"),
        ("v1", "ServiceAccount"),
        ("v1", "Node"),
        ("v1", "PersistentVolume"),
        ("v1", "PersistentVolumeClaim"),
        ("v1", "Binding"),
        ("v1", "Event"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
        ("storage.k8s.io/v1", "StorageClass"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
        ("coordination.k8s.io/v1", "Lease"),
        ("discovery.k8s.io/v1", "EndpointSlice"),
        ("events.k8s.io/v1", "Event"),
    }


@pytest.mark.parametrize("path", FILES, ids=[path.name for path in FILES])
def test_each_manifest_reads_and_writes_back_exactly(path: Path) -> None:
    text = path.read_text()
    documents = [document for document in yaml.load_all(text, Loader=_Loader) if document is not None]
    objects = load_manifests(text)
    assert len(objects) == len(documents) >= 1
    for obj, document in zip(objects, documents, strict=True):
        assert to_dict(obj) == document
        assert from_dict(to_dict(default(obj))) == default(obj)
        assert default(default(obj)) == default(obj)


# -- reading streams -----------------------------------------------------------------------------

CONFIG = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def test_documents_come_back_in_order_and_empty_ones_are_skipped() -> None:
    text = (
        "---\n"
        + CONFIG.format(name="a")
        + "---\n---\n# only a comment\n---\n"
        + CONFIG.format(name="b")
        + "...\n"
    )
    assert [obj.metadata.name for obj in load_manifests(text)] == ["a", "b"]
    assert load_manifests("") == []


def test_yaml_scalars_are_read_as_json_would_carry_them() -> None:
    # sigs.k8s.io/yaml converts to JSON first: timestamps stay strings, numeric keys become strings.
    text = CONFIG.format(name="c") + "data:\n  8080: port\n  true: yes-key\n  when: 2024-01-01T00:00:00Z\n"
    (obj,) = load_manifests(text)
    assert isinstance(obj, ConfigMap)
    assert obj.data == {"8080": "port", "true": "yes-key", "when": "2024-01-01T00:00:00Z"}


def test_an_empty_mapping_value_is_null_and_means_absent() -> None:
    (obj,) = load_manifests(CONFIG.format(name="d") + "  labels:\n  annotations:\n")
    assert to_dict(obj) == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"}}


# -- errors name the document, the line and the field ---------------------------------------------------


def _problems(text: str, *, strict: bool = True) -> list[tuple[int, int | None, str]]:
    with pytest.raises(ManifestError) as caught:
        load_manifests(text, strict=strict)
    return [(problem.document, problem.line, problem.path) for problem in caught.value.problems]


def test_broken_yaml_names_the_document_and_line() -> None:
    text = CONFIG.format(name="a") + "---\n" + CONFIG.format(name="b") + "data: {a: [1, 2}\n"
    ((document, line, path),) = _problems(text)
    assert (document, line, path) == (1, 10, "")  # the line with the unclosed bracket


def test_a_tab_indented_document_is_invalid_yaml() -> None:
    assert _problems("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: x\n")[0][:2] == (0, 4)


def test_an_unknown_kind_names_the_document_line_and_field() -> None:
    text = CONFIG.format(name="a") + "---\napiVersion: v1\nkind: Deploymnet\nmetadata:\n  name: x\n"
    assert _problems(text) == [(1, 7, "kind")]


def test_a_wrong_type_names_the_document_line_and_field_path() -> None:
    text = (
        CONFIG.format(name="a")
        + "---\n"
        + "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n"
        + "  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n"
        + "        ports:\n        - containerPort: http\n"
    )
    with pytest.raises(ManifestError) as caught:
        load_manifests(text)
    (problem,) = caught.value.problems
    assert (problem.document, problem.line) == (1, 17)
    assert problem.path == "spec.template.spec.containers[0].ports[0].containerPort"
    assert str(problem).startswith(
        "document 1, line 17: spec.template.spec.containers[0].ports[0].containerPort: "
    )


def test_unknown_fields_are_errors_unless_reading_leniently() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  selectr:\n    app: web\n"
    assert _problems(text) == [(0, 6, "spec.selectr")]
    (service,) = load_manifests(text, strict=False)
    assert to_dict(service) == {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}}


def test_a_label_value_that_yaml_reads_as_a_number_is_refused_with_its_key() -> None:
    # The classic: "version: 1.0" is a float in YAML, and label values must be strings.
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    version: 1.0\n"
    assert _problems(text) == [(0, 6, "metadata.labels[version]")]


def test_every_problem_of_a_document_is_reported() -> None:
    text = (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 1\nspec:\n  nodeName: 2\n  hostNetwork: yes-please\n"
    )
    assert _problems(text) == [(0, 4, "metadata.name"), (0, 6, "spec.nodeName"), (0, 7, "spec.hostNetwork")]


def test_keys_json_cannot_have_and_unsafe_tags_are_refused() -> None:
    assert _problems(CONFIG.format(name="a") + "data:\n  ? [a, b]\n  : c\n") == [(0, 6, "")]  # unhashable
    assert _problems(CONFIG.format(name="a") + "data:\n  ? !!binary aGk=\n  : c\n") == [(0, None, "")]
    assert _problems("!!python/object:os.system {}\n")[0][:2] == (0, 1)


def test_missing_kind_and_non_object_documents() -> None:
    assert _problems("apiVersion: v1\nmetadata:\n  name: x\n") == [(0, 1, "kind")]
    assert _problems(CONFIG.format(name="a") + "---\n- a\n- b\n") == [(1, 6, "")]
