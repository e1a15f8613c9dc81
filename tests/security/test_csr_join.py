"""CSRs, TokenRequest and the node join against a real HTTPS server process (the issue's "Show"), and the
spec's CSR predicates on known-good and known-bad inputs."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.security import csr as checks
from impl.apiserver.securecluster import SecureCluster
from impl.node.bootstrap import JoinRefused, join_over_api
from spec import certificates as spec
from spec.objects.certificates import (
    CertificateSigningRequest,
    CertificateSigningRequestCondition,
    CertificateSigningRequestSpec,
    CertificateSigningRequestStatus,
)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureCluster]:
    with SecureCluster(tmp_path_factory.mktemp("secure")) as served:
        yield served


@pytest.mark.requirement("SEC-JOIN-BOOTSTRAP")
def test_kubelet_joins_over_https_with_a_valid_token_and_not_with_an_expired_one(
    cluster: SecureCluster, caplog: pytest.LogCaptureFixture
) -> None:
    valid, expired = "abcdef.0123456789abcdef", "zyxwvu.0123456789abcdef"
    cluster.create_bootstrap_token(valid, checks.expiration(1))
    cluster.create_bootstrap_token(expired, checks.expiration(-1))
    cert, key = join_over_api(cluster.url, cluster.ca_file, "show-node-1", valid, timeout_s=15)
    kubelet = cluster.client(cert=(cert, key))
    status, node = kubelet.call("GET", "/api/v1/nodes/show-node-1")
    assert status == 200 and node["metadata"]["name"] == "show-node-1"
    # The certificate is the node's: it may not touch another node's Lease (Node authorizer).
    other = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/show-node-9"
    assert kubelet.call("GET", other)[0] == 403

    with caplog.at_level(logging.WARNING, logger="impl.apiserver.http"):
        with pytest.raises(JoinRefused, match="401"):
            join_over_api(cluster.url, cluster.ca_file, "show-node-2", expired, timeout_s=5)
    # The kubelet sees upstream's bare Unauthorized; the server's log says why.
    assert any("bootstrap token expired at" in r.getMessage() for r in caplog.records), caplog.text
    assert cluster.admin.call("GET", "/api/v1/nodes/show-node-2")[0] == 404
    assert checks._csrs_for(cluster, "show-node-2") == []


@pytest.mark.requirement("SEC-JOIN-BOOTSTRAP")
def test_malformed_token_is_refused_before_any_request(cluster: SecureCluster) -> None:
    with pytest.raises(JoinRefused, match="not a bootstrap token"):
        join_over_api(cluster.url, cluster.ca_file, "show-node-3", "abcdef-0123456789abcdef")


@pytest.mark.requirement("SEC-JOIN-BOOTSTRAP")
@pytest.mark.requirement("SEC-CSR-AUTO-APPROVE")
@pytest.mark.requirement("SEC-CSR-SIGN-APPROVED")
@pytest.mark.requirement("SEC-CSR-REQUESTER-FROM-AUTH")
@pytest.mark.requirement("SEC-SA-TOKEN-BOUND")
def test_the_reference_passes_every_check(cluster: SecureCluster) -> None:
    for check in checks.ALL_CHECKS:
        assert check(cluster) == [], check.__name__
    assert checks.check_join(cluster, join_over_api) == []


# -- the spec's predicates -------------------------------------------------------------------------------


def _csr(*conditions: str, certificate: bytes = b"", signer: str = spec.KUBELET_CLIENT_SIGNER):
    status = CertificateSigningRequestStatus(
        conditions=tuple(CertificateSigningRequestCondition(type=c, status="True") for c in conditions),
        certificate=certificate,
    )
    request = checks.pem_request("system:node:n1", ("system:nodes",))
    spec_ = CertificateSigningRequestSpec(request=request, signer_name=signer, usages=("client auth",))
    return CertificateSigningRequest(spec=spec_, status=status)


@pytest.mark.requirement("SEC-CSR-SIGN-APPROVED")
def test_sign_reason() -> None:
    names = (spec.KUBELET_CLIENT_SIGNER,)
    assert spec.sign_reason(_csr("Approved"), names) is None
    assert spec.sign_reason(_csr(), names) == "not approved"
    assert spec.sign_reason(_csr("Approved", "Denied"), names) == "denied or failed"
    assert spec.sign_reason(_csr("Approved", "Failed"), names) == "denied or failed"
    assert spec.sign_reason(_csr("Approved", certificate=b"x"), names) == "already issued"
    assert spec.sign_reason(_csr("Approved", signer="example.com/x"), names) is not None
    assert spec.certificate_seconds(None) == 365 * 24 * 3600
    assert spec.certificate_seconds(3600) == 3600
    assert spec.certificate_seconds(10 * 365 * 24 * 3600) == 365 * 24 * 3600


@pytest.mark.requirement("SEC-CSR-APPROVAL-SUBRESOURCE")
@pytest.mark.requirement("SEC-CSR-STATUS-SUBRESOURCE")
def test_merge_update_keeps_what_each_path_may_not_change() -> None:
    old = _csr()
    new = _csr("Approved", certificate=b"cert").replace(spec=old.spec.replace(username="mallory"))
    plain = spec.merge_update(old, new, "")
    assert plain.status == old.status and plain.spec == old.spec
    status = spec.merge_update(old, new, "status")
    assert status.status.certificate == b"cert" and not spec.has_condition(status, "Approved")
    failed = spec.merge_update(_csr("Approved"), _csr("Failed"), "status")
    assert spec.has_condition(failed, "Approved") and spec.has_condition(failed, "Failed")
    approval = spec.merge_update(old, new, "approval")
    assert spec.has_condition(approval, "Approved") and not approval.status.certificate
    assert approval.spec.username == ""
    issued = _csr(certificate=b"cert")
    assert spec.update_errors(issued, _csr(certificate=b"other"))
    assert spec.update_errors(_csr("Approved"), _csr())
    assert spec.update_errors(issued, issued) == []


@pytest.mark.requirement("SEC-CSR-VALID")
def test_validate_csr() -> None:
    good = _csr()
    assert spec.validate_csr(good) == []
    bad = [
        good.replace(spec=good.spec.replace(request=b"not pem")),
        good.replace(spec=good.spec.replace(signer_name="")),
        good.replace(spec=good.spec.replace(signer_name="no-slash")),
        good.replace(spec=good.spec.replace(usages=("flying",))),
        good.replace(spec=good.spec.replace(usages=())),
        good.replace(spec=good.spec.replace(expiration_seconds=599)),
        _csr("Approved", "Denied"),
    ]
    for csr in bad:
        assert spec.validate_csr(csr), csr


@pytest.mark.requirement("SEC-CSR-AUTO-APPROVE")
def test_node_client_reason() -> None:
    ok = spec.RequestFacts("system:node:n1", ("system:nodes",), True)
    node_spec = CertificateSigningRequestSpec(signer_name=spec.KUBELET_CLIENT_SIGNER, usages=("client auth",))
    assert spec.node_client_reason(node_spec, ok) is None
    assert spec.node_client_reason(node_spec, spec.RequestFacts("system:node:", ("system:nodes",), True))
    assert spec.node_client_reason(node_spec, spec.RequestFacts("admin", ("system:nodes",), True))
    assert spec.node_client_reason(node_spec, spec.RequestFacts("system:node:n1", (), True))
    assert spec.node_client_reason(node_spec, spec.RequestFacts("system:node:n1", ("system:nodes",), False))
    assert spec.node_client_reason(node_spec.replace(usages=("client auth", "server auth")), ok)
    assert spec.node_client_reason(node_spec.replace(signer_name=spec.CLIENT_SIGNER), ok)
    assert spec.approval_subresource(node_spec.replace(username="system:node:n1"), ok) == "selfnodeclient"
    assert (
        spec.approval_subresource(node_spec.replace(username="system:bootstrap:abcdef"), ok) == "nodeclient"
    )


@pytest.mark.requirement("SEC-SA-TOKEN-REQUEST")
def test_token_expiration_bounds() -> None:
    assert spec.token_expiration_errors(600) == [] and spec.token_expiration_errors(1 << 32) == []
    assert spec.token_expiration_errors(599) and spec.token_expiration_errors((1 << 32) + 1)


@pytest.mark.requirement("SEC-CSR-AUTO-APPROVE")
@pytest.mark.requirement("SEC-CSR-SIGN-APPROVED")
def test_handlers_as_level_triggered_controllers_in_process(tmp_path: Path) -> None:
    """The same approver and signer as ``Controller``s of runner.py's ``settle`` (no HTTP, no threads)."""
    from impl.apiclient import InProcessClient
    from impl.apiserver.http import new_server
    from impl.apiserver.memory import MemoryKV
    from impl.apiserver.secure import csr_controllers_for
    from impl.apiserver.tls import ensure_pki
    from impl.controllers.client import ResourceClient
    from impl.controllers.runner import settle
    from spec.authn import UserInfo

    server = new_server(MemoryKV().client(), seed=3, authorization=True)
    pki = ensure_pki(tmp_path)
    bootstrapper = InProcessClient(
        server, UserInfo("system:bootstrap:abcdef", groups=("system:bootstrappers",))
    )
    node = checks.csr_body("good", checks.pem_request("system:node:n1", ("system:nodes",)))
    assert bootstrapper.call("POST", checks.CSRS, node)[0] == 201
    other = checks.csr_body("other", checks.pem_request("system:node:n1", ("system:nodes",)))
    assert InProcessClient(server).call("POST", checks.CSRS, other)[0] == 201  # no requester at all
    assert settle(ResourceClient.in_process(server), csr_controllers_for(server, pki))
    good = InProcessClient(server).call("GET", f"{checks.CSRS}/good")[1]
    assert "Approved" in checks.conditions(good) and checks.certificate(good)
    rejected = InProcessClient(server).call("GET", f"{checks.CSRS}/other")[1]
    assert not checks.conditions(rejected) and not checks.certificate(rejected)


@pytest.mark.requirement("SEC-CSR-APPROVAL-SUBRESOURCE")
@pytest.mark.requirement("SEC-SA-TOKEN-REQUEST")
def test_official_client_approves_a_csr_and_requests_a_token(cluster: SecureCluster, tmp_path: Path) -> None:
    """What ``kubectl certificate approve`` and ``kubectl create token`` send, via the kubernetes client."""
    import json
    import time

    client = pytest.importorskip("kubernetes.client")
    config = pytest.importorskip("kubernetes.config")
    cert, key = cluster.pki.client_certificate("kubernetes-admin", ("system:masters",))
    (tmp_path / "admin.crt").write_bytes(cert)
    (tmp_path / "admin.key").write_bytes(key)
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "k", "cluster": {"server": cluster.url, "certificate-authority": str(cluster.ca_file)}}
        ],
        "users": [{"name": "a", "user": {"client-certificate": str(tmp_path / "admin.crt"),
                                         "client-key": str(tmp_path / "admin.key")}}],
        "contexts": [{"name": "k", "context": {"cluster": "k", "user": "a"}}],
        "current-context": "k",
    }  # fmt: skip
    (tmp_path / "kubeconfig").write_text(json.dumps(kubeconfig))
    api = config.new_client_from_config(config_file=str(tmp_path / "kubeconfig"))
    try:
        certificates = client.CertificatesV1Api(api)
        request = client.V1CertificateSigningRequestSpec(
            request=base64.b64encode(checks.pem_request("alice")).decode(),
            signer_name=spec.CLIENT_SIGNER,
            usages=["client auth"],
            expiration_seconds=86400,
        )
        made = certificates.create_certificate_signing_request(
            client.V1CertificateSigningRequest(
                metadata=client.V1ObjectMeta(name="official-alice"), spec=request
            )
        )
        assert made.spec.username == "kubernetes-admin"
        approved = client.V1CertificateSigningRequestCondition(type="Approved", status="True", reason="Test")
        made.status = client.V1CertificateSigningRequestStatus(conditions=[approved])
        certificates.replace_certificate_signing_request_approval("official-alice", made)
        deadline = time.monotonic() + 10
        while not certificates.read_certificate_signing_request("official-alice").status.certificate:
            assert time.monotonic() < deadline, "no certificate issued"
            time.sleep(0.05)
        core = client.CoreV1Api(api)
        core.create_namespaced_service_account(
            "default", client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="bot"))
        )
        token = core.create_namespaced_service_account_token(
            "bot",
            "default",
            client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[])),
        )
        assert token.status.token and token.status.expiration_timestamp
        assert cluster.client(token=token.status.token).call("GET", "/api")[0] == 200
    finally:
        api.close()
