"""The official ``kubernetes`` Python client against kspec's reference API server, unchanged.

    python examples/deployment_client.py                    # starts the reference server in-process
    python examples/deployment_client.py --kubeconfig PATH  # or a cluster of yours (a throwaway one)

It creates a Deployment, lists it, patches it (strategic merge patch of
``spec.replicas``), deletes it, and replays those changes with a watch from
the resourceVersion of the create; then it creates every object of
``examples/manifests/`` (every kind of spec/objects, in the namespaces they
name) through the dynamic client, which finds each kind by API discovery as
kubectl does, and deletes them again. Output goes to stdout; the README
quotes it. It exits with a message if anything the client gets back is not
what the API promises, and with the client's exception if a request fails.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
NAMESPACE = "kspec-example"


@contextmanager
def kubeconfig(path: str | None) -> Iterator[Path]:
    if path:
        yield Path(path).expanduser()
        return
    sys.path.insert(0, str(ROOT))
    from impl.apiserver.provider import ReferenceAPIServerProvider

    with ReferenceAPIServerProvider().serve() as served:
        yield served


def deployment() -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]},
            },
        },
    }


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"unexpected: {what}")


def deployment_round_trip(api: Any) -> None:
    from kubernetes import client, watch

    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment(NAMESPACE, deployment())
    start = created.metadata.resource_version
    print(f"created   deployment/{created.metadata.name} generation={created.metadata.generation}")
    print(
        f"          defaults: strategy={created.spec.strategy.type} "
        f"maxSurge={created.spec.strategy.rolling_update.max_surge} "
        f"revisionHistoryLimit={created.spec.revision_history_limit} "
        f"progressDeadlineSeconds={created.spec.progress_deadline_seconds}"
    )
    listed = apps.list_namespaced_deployment(NAMESPACE, label_selector="app=web")
    print(f"listed    {[d.metadata.name for d in listed.items]} with label_selector=app=web")
    check([d.metadata.name for d in listed.items] == ["web"], "the list should hold the deployment")
    patched = apps.patch_namespaced_deployment("web", NAMESPACE, {"spec": {"replicas": 5}})
    print(f"patched   spec.replicas={patched.spec.replicas} generation={patched.metadata.generation}")
    check(patched.spec.replicas == 5 and patched.metadata.generation == 2, "the patch should bump generation")
    apps.delete_namespaced_deployment("web", NAMESPACE)
    print("deleted   deployment/web")
    events = watch.Watch().stream(
        apps.list_namespaced_deployment, NAMESPACE, resource_version=start, timeout_seconds=2
    )
    seen = []
    for event in events:
        obj = event["object"]
        seen.append(event["type"])
        print(f"watched   {event['type']:<8} deployment/{obj.metadata.name} replicas={obj.spec.replicas}")
        if event["type"] == "DELETED":
            break
    check(seen == ["MODIFIED", "DELETED"], f"a watch from the create should replay patch and delete: {seen}")


def every_manifest(api: Any) -> None:
    """Create every object of examples/manifests where it says, through discovery; then delete them."""
    from kubernetes import client, dynamic
    from kubernetes.client import ApiException

    discovered = dynamic.DynamicClient(api)
    core = client.CoreV1Api(api)
    documents = [
        document
        for path in sorted((ROOT / "examples" / "manifests").glob("*.yaml"))
        for document in yaml.safe_load_all(path.read_text())
        if document
    ]
    # A Binding acts on its pod (it is not stored), so it goes once every pod exists.
    documents.sort(key=lambda document: document["kind"] == "Binding")
    made: list[tuple[Any, str | None, str]] = []
    new_namespaces: list[str] = []
    try:
        for document in documents:
            resource = discovered.resources.get(api_version=document["apiVersion"], kind=document["kind"])
            namespace = document["metadata"].get("namespace", "default") if resource.namespaced else None
            if namespace and namespace not in new_namespaces and not _exists(core, namespace):
                core.create_namespace({"metadata": {"name": namespace}})
                new_namespaces.append(namespace)
            where = f"{namespace}/" if namespace else ""
            try:
                answer = resource.create(body=document, namespace=namespace)
            except ApiException as error:
                # What the reference refuses on purpose (CEL rules) rather than serve half-checked.
                if error.status != 422 or "not supported by this server" not in str(error.body):
                    raise
                why = json.loads(error.body)["details"]["causes"][0]["message"]
                print(f"refused   {document['kind']:<28} {where}{document['metadata']['name']}: {why}")
                continue
            print(f"created   {document['kind']:<28} {where}{document['metadata']['name']}")
            if document["kind"] != "Binding":
                made.append((resource, namespace, answer.metadata.name))
        print(f"{len(documents)} objects of examples/manifests sent through discovery and the dynamic client")
    finally:
        for resource, namespace, name in reversed(made):
            try:
                resource.delete(name=name, namespace=namespace)
            except ApiException as error:
                # Already gone: the garbage collector takes objects whose owners do not exist (the
                # node Lease in the manifests is owned by a Node of another cluster).
                if error.status != 404:
                    raise
        for namespace in new_namespaces:
            core.delete_namespace(namespace)


def _exists(core: Any, namespace: str) -> bool:
    from kubernetes.client import ApiException

    try:
        core.read_namespace(namespace)
    except ApiException as error:
        if error.status == 404:
            return False
        raise
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kubeconfig", help="a cluster to use instead of starting the reference server")
    args = parser.parse_args()
    from kubernetes import client, config

    with kubeconfig(args.kubeconfig) as path:
        api = config.new_client_from_config(config_file=str(path))
        core = client.CoreV1Api(api)
        core.create_namespace({"metadata": {"name": NAMESPACE}})
        try:
            deployment_round_trip(api)
            every_manifest(api)
        finally:
            core.delete_namespace(NAMESPACE)
            api.close()


if __name__ == "__main__":
    main()
