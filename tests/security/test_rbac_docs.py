"""docs/security-rbac.md's "Try it" commands, run: kspec apiserver (Node,RBAC by default), its admin
kubeconfig, and kubectl --as."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_docs_commands(tmp_path: Path) -> None:
    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kspec",
            "apiserver",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        ca = tmp_path / "data" / "pki" / "ca.crt"
        while True:
            try:
                context = ssl.create_default_context(cafile=str(ca))
                urllib.request.urlopen(f"https://127.0.0.1:{port}/version", timeout=1, context=context).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        kubeconfig = tmp_path / "data" / "admin.conf"  # kubernetes-admin in system:masters

        def kubectl(*args: str) -> subprocess.CompletedProcess[str]:
            env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}
            return subprocess.run(["kubectl", *args], capture_output=True, text=True, env=env, timeout=60)

        denied = kubectl("--as=alice", "get", "pods")
        assert denied.returncode != 0
        assert 'User "alice" cannot list resource "pods"' in denied.stderr and "Forbidden" in denied.stderr
        assert (
            kubectl(
                "create",
                "role",
                "pod-reader",
                "--verb=get,list,create",
                "--resource=pods,roles.rbac.authorization.k8s.io",
            ).returncode
            == 0
        )
        binding = tmp_path / "binding.yaml"
        binding.write_text(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
            "metadata: {name: alice-reads, namespace: default}\n"
            "subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]\n"
            "roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}\n"
        )
        made = kubectl("create", "--validate=false", "-f", str(binding))
        assert made.returncode == 0, made.stderr
        allowed = kubectl("--as=alice", "get", "pods")
        assert allowed.returncode == 0, allowed.stderr
        assert "No resources found" in allowed.stdout + allowed.stderr
        escalate = kubectl("--as=alice", "create", "role", "more", "--verb=delete", "--resource=pods")
        assert escalate.returncode != 0
        assert "attempting to grant RBAC permissions not currently held" in escalate.stderr, escalate.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
