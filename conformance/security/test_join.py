"""CSRs, their controllers, TokenRequest and the node join, against the ``apiserver`` component.

Needs the optional ``secure_cluster()`` capability of the ``apiserver`` provider
(conformance/adapters/apiserver.py): a cluster with authentication over HTTPS and the CSR approver and
signer running. A provider without it is reported not applicable, never passed. The checks are
conformance/security/csr.py's; the kubelet side of the join is impl/node/bootstrap.join_over_api.

Requirement IDs: SEC-CSR-VALID, SEC-CSR-REQUESTER-FROM-AUTH, SEC-CSR-APPROVAL-SUBRESOURCE,
SEC-CSR-STATUS-SUBRESOURCE, SEC-CSR-AUTO-APPROVE, SEC-CSR-SIGN-APPROVED, SEC-SA-TOKEN-REQUEST,
SEC-SA-TOKEN-BOUND, SEC-JOIN-BOOTSTRAP.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance.adapters import Implementation
from conformance.security import csr

pytestmark = pytest.mark.component("apiserver")


@pytest.fixture(scope="module")
def cluster(kspec_implementation: Implementation) -> Iterator[Any]:
    provider = kspec_implementation.component("apiserver")
    if not hasattr(provider, "secure_cluster"):
        pytest.skip("not applicable: the apiserver provider offers no secure_cluster() (authentication on)")
    with provider.secure_cluster() as served:
        yield served


@pytest.mark.requirement("SEC-CSR-REQUESTER-FROM-AUTH")
def test_csr_requester_is_the_authenticated_user(cluster: Any) -> None:
    assert csr.check_requester_from_auth(cluster) == []


@pytest.mark.requirement("SEC-CSR-VALID")
def test_invalid_csrs_are_refused(cluster: Any) -> None:
    assert csr.check_validation(cluster) == []


@pytest.mark.requirement("SEC-CSR-APPROVAL-SUBRESOURCE")
@pytest.mark.requirement("SEC-CSR-STATUS-SUBRESOURCE")
def test_approval_and_certificate_only_through_their_subresources(cluster: Any) -> None:
    assert csr.check_approval_and_status_subresources(cluster) == []


@pytest.mark.requirement("SEC-CSR-AUTO-APPROVE")
def test_only_bootstrap_node_client_csrs_are_auto_approved(cluster: Any) -> None:
    assert csr.check_auto_approval(cluster) == []


@pytest.mark.requirement("SEC-CSR-SIGN-APPROVED")
def test_only_approved_csrs_are_signed(cluster: Any) -> None:
    assert csr.check_signer(cluster) == []


@pytest.mark.requirement("SEC-SA-TOKEN-REQUEST")
@pytest.mark.requirement("SEC-SA-TOKEN-BOUND")
def test_token_request(cluster: Any) -> None:
    assert csr.check_token_request(cluster) == []


@pytest.mark.requirement("SEC-JOIN-BOOTSTRAP")
def test_kubelet_joins_with_a_valid_token_and_only_with_one(cluster: Any) -> None:
    from impl.node.bootstrap import join_over_api

    assert csr.check_join(cluster, join_over_api) == []
