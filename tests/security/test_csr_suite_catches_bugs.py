"""Seeded bugs: the CSR, TokenRequest and join checks (conformance/security/csr.py) catch each one with the
right requirement ID.

- a server that takes spec.username/groups from the body (SEC-CSR-REQUESTER-FROM-AUTH);
- a signer that signs CSRs that are not approved (SEC-CSR-SIGN-APPROVED);
- an approver that treats every node as the CSR's own node (approves another node's name), and one that
  skips the SubjectAccessReview (approves a non-bootstrapper) (SEC-CSR-AUTO-APPROVE);
- an authenticator whose ServiceAccount cache never forgets, so tokens survive the deletion
  (SEC-SA-TOKEN-BOUND);
- a kubelet join that registers its Node before its token is checked (SEC-JOIN-BOOTSTRAP).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.security import csr as checks
from impl.apiserver import certificates as served_csrs
from impl.apiserver.authn import stored_service_accounts
from impl.apiserver.securecluster import SecureCluster
from impl.controllers import certificates as controllers
from impl.node.bootstrap import join_over_api
from spec import certificates as spec


def _ids(violations: list[tuple[str, str]]) -> set[str]:
    return {requirement for requirement, _ in violations}


def _authorize(server: Any):
    authorizer = server.authorizer
    return lambda attributes: authorizer.decide(attributes).allowed


@pytest.mark.requirement("SEC-CSR-REQUESTER-FROM-AUTH")
def test_requester_from_the_body_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(served_csrs, "_requester_spec", lambda csr_spec, user: csr_spec)
    with SecureCluster(tmp_path) as cluster:
        violations = checks.check_requester_from_auth(cluster)
    assert spec.SEC_CSR_REQUESTER_FROM_AUTH.id in _ids(violations), violations


@pytest.mark.requirement("SEC-CSR-SIGN-APPROVED")
def test_signer_of_unapproved_csrs_is_caught(tmp_path: Path) -> None:
    def sign_everything(csr: Any, names: Any) -> str | None:
        return None if csr.spec.signer_name in names and not csr.status.certificate else "no"

    def broken(server: Any, pki: Any) -> tuple:
        return (
            controllers.approver(_authorize(server)),
            controllers.signer(pki, sign_reason=sign_everything),
        )

    with SecureCluster(tmp_path, csr_controllers=broken) as cluster:
        violations = checks.check_signer(cluster)
    assert spec.SEC_CSR_SIGN_APPROVED.id in _ids(violations), violations
    assert any("pending" in what or "denied" in what for _, what in violations)


def _approver_bug(decide: Any):
    def broken(server: Any, pki: Any) -> tuple:
        return (controllers.approver(_authorize(server), decide=decide), controllers.signer(pki))

    return broken


@pytest.mark.requirement("SEC-CSR-AUTO-APPROVE")
def test_approver_of_another_nodes_name_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def every_node_is_self(csr_spec: Any, facts: Any) -> str:
        return "selfnodeclient" if csr_spec.username.startswith("system:node:") else "nodeclient"

    def decide(csr: Any, authorize: Any) -> str | None:
        with monkeypatch.context() as patched:
            patched.setattr(spec, "approval_subresource", every_node_is_self)
            return controllers.approve_decision(csr, authorize)

    with SecureCluster(tmp_path, csr_controllers=_approver_bug(decide)) as cluster:
        violations = checks.check_auto_approval(cluster)
    assert spec.SEC_CSR_AUTO_APPROVE.id in _ids(violations), violations
    assert any("was approved" in what for _, what in violations)


@pytest.mark.requirement("SEC-CSR-AUTO-APPROVE")
def test_approver_without_subject_access_review_is_caught(tmp_path: Path) -> None:
    def decide(csr: Any, authorize: Any) -> str | None:
        return controllers.approve_decision(csr, lambda attributes: True)

    with SecureCluster(tmp_path, csr_controllers=_approver_bug(decide)) as cluster:
        violations = checks.check_auto_approval(cluster)
    assert spec.SEC_CSR_AUTO_APPROVE.id in _ids(violations), violations


@pytest.mark.requirement("SEC-SA-TOKEN-BOUND")
def test_tokens_surviving_their_service_account_are_caught(tmp_path: Path) -> None:
    remembered: dict[tuple[str, str], str] = {}
    holder: dict[str, Any] = {}

    def never_forgets() -> dict[tuple[str, str], str]:
        remembered.update(stored_service_accounts(lambda: holder["cluster"].server.storage))
        return remembered

    cluster = SecureCluster(tmp_path, service_accounts=never_forgets)
    holder["cluster"] = cluster
    with cluster:
        violations = checks.check_token_request(cluster)
    assert spec.SEC_SA_TOKEN_BOUND.id in _ids(violations), violations


@pytest.mark.requirement("SEC-JOIN-BOOTSTRAP")
def test_join_that_registers_before_authenticating_is_caught(tmp_path: Path) -> None:
    def eager_join(url: str, ca_file: Path, node: str, token: str) -> Any:
        cluster.admin.call(
            "POST", "/api/v1/nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": node}}
        )
        return join_over_api(url, ca_file, node, token, timeout_s=5)

    with SecureCluster(tmp_path) as cluster:
        violations = checks.check_join(cluster, eager_join)
    assert spec.SEC_JOIN_BOOTSTRAP.id in _ids(violations), violations
    assert any("left Node" in what for _, what in violations)


@pytest.mark.requirement("SEC-CSR-APPROVAL-SUBRESOURCE")
@pytest.mark.requirement("SEC-CSR-STATUS-SUBRESOURCE")
def test_status_written_through_the_object_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A strategy that keeps the body's status on every update path (the object's PUT sets Approved).
    monkeypatch.setattr(spec, "merge_update", lambda old, new, via: new.replace(spec=old.spec))
    with SecureCluster(tmp_path) as cluster:
        violations = checks.check_approval_and_status_subresources(cluster)
    ids = _ids(violations)
    assert {spec.SEC_CSR_APPROVAL_SUBRESOURCE.id, spec.SEC_CSR_STATUS_SUBRESOURCE.id} <= ids, violations


@pytest.mark.requirement("SEC-CSR-APPROVAL-SUBRESOURCE")
def test_approval_without_the_approve_permission_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(served_csrs, "_allowed", lambda server, request, verb, signer: True)
    with SecureCluster(tmp_path) as cluster:
        violations = checks.check_approval_and_status_subresources(cluster)
    assert any("without approve on the signer" in what for _, what in violations), violations


@pytest.mark.requirement("SEC-CSR-VALID")
def test_unchecked_request_signature_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = served_csrs.request_facts

    def trusting(pem: bytes) -> Any:
        facts = real(pem)
        return None if facts is None else spec.RequestFacts(facts.common_name, facts.organizations, True)

    monkeypatch.setattr(served_csrs, "request_facts", trusting)
    with SecureCluster(tmp_path) as cluster:
        violations = checks.check_validation(cluster)
    assert violations == [(spec.SEC_CSR_VALID.id, "a CSR with bad signature was answered 201, not 422")]
