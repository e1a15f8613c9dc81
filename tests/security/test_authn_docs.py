"""docs/security-authn.md's "Try it" commands, run: kspec apiserver over HTTPS, admin.conf, kubectl and curl.

The commands are the page's, with a free port for 6443 and a temporary directory; each answer the page
shows is checked. Needs kubectl and curl.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("kubectl") is None or shutil.which("curl") is None, reason="needs kubectl and curl"
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "security-authn.md"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _token_yaml() -> str:
    """The bootstrap token Secret of the page (its first yaml block)."""
    return DOC.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]


def test_the_docs_commands(tmp_path: Path) -> None:
    text = DOC.read_text()
    assert "kspec apiserver --port 6443 --data-dir ./kspec-data --token-auth-file tokens.csv" in text
    port = _free_port()
    (tmp_path / "tokens.csv").write_text('s3cr3t-alice-token,alice,1001,"kspec:devs"\n')
    (tmp_path / "token.yaml").write_text(_token_yaml())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "kspec", "apiserver", "--port", str(port)),
            *("--data-dir", "./kspec-data", "--token-auth-file", "tokens.csv"),
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"https://127.0.0.1:{port}"
    ca = "kspec-data/pki/ca.crt"

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        env_kube = {**env, "KUBECONFIG": str(tmp_path / "kspec-data" / "admin.conf")}
        return subprocess.run(command, cwd=tmp_path, env=env_kube, capture_output=True, text=True, timeout=60)

    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert f"serving https://127.0.0.1:{port}" in first, first
        assert "admin kubeconfig kspec-data/admin.conf" in server.stdout.readline()
        deadline = time.monotonic() + 30
        while run("curl", "-s", "--cacert", ca, f"{url}/healthz").stdout != "ok":
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.2)
        namespaces = run("kubectl", "get", "namespaces")
        assert namespaces.returncode == 0, namespaces.stderr
        for name in ("default", "kube-node-lease", "kube-public", "kube-system"):
            assert name in namespaces.stdout
        whoami = run("kubectl", "auth", "whoami")
        assert "kubernetes-admin" in whoami.stdout and "system:masters" in whoami.stdout, whoami
        anonymous = json.loads(run("curl", "-s", "--cacert", ca, f"{url}/api/v1/namespaces").stdout)
        assert anonymous["code"] == 401 and anonymous["reason"] == "Unauthorized"
        review = run(
            "curl", "-s", "--cacert", ca, "-H", "Authorization: Bearer s3cr3t-alice-token",
            "-H", "Content-Type: application/json", "-X", "POST",
            "-d", '{"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1"}',
            f"{url}/apis/authentication.k8s.io/v1/selfsubjectreviews",
        )  # fmt: skip
        assert json.loads(review.stdout)["status"]["userInfo"] == {
            "username": "alice",
            "uid": "1001",
            "groups": ["kspec:devs", "system:authenticated"],
        }
        created = run("kubectl", "create", "--validate=false", "-f", "token.yaml")
        assert created.returncode == 0, created.stderr
        as_token = (
            "kubectl", "--kubeconfig=/dev/null", f"--server={url}", f"--certificate-authority={ca}",
            "--token=abcdef.0123456789abcdef", "auth", "whoami",
        )  # fmt: skip
        bootstrap = run(*as_token)
        assert "system:bootstrap:abcdef" in bootstrap.stdout, bootstrap
        assert "system:bootstrappers:kubeadm:default-node-token" in bootstrap.stdout
        assert (
            run("kubectl", "-n", "kube-system", "delete", "secret", "bootstrap-token-abcdef").returncode == 0
        )
        refused = run(*as_token)
        assert refused.returncode != 0 and "Unauthorized" in refused.stderr, refused
        pki = sorted(p.name for p in (tmp_path / "kspec-data" / "pki").iterdir())
        assert pki == ["apiserver.crt", "apiserver.key", "ca.crt", "ca.key", "sa.key"]
        assert (tmp_path / "kspec-data" / "pki" / "ca.key").stat().st_mode & 0o077 == 0
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_pki_is_reused_across_restarts(tmp_path: Path) -> None:
    """A second start keeps the CA (a kubeconfig written once keeps working) and rewrites admin.conf."""
    from impl.apiserver.http import new_server
    from impl.apiserver.memory import MemoryKV
    from impl.apiserver.secure import secure

    first = secure(new_server(MemoryKV().client(), seed=1), tmp_path / "pki")
    second = secure(new_server(MemoryKV().client(), seed=2), tmp_path / "pki")
    assert first.pki.ca_cert == second.pki.ca_cert
    assert first.sa_tokens.key.private_numbers() == second.sa_tokens.key.private_numbers()
