"""The authentication suite: anonymous requests, refused tokens and certificates, bootstrap tokens, who am I.

Against ``--impl``'s apiserver component, through the official ``kubernetes``
client (conformance/security/authn.py). Portable checks need only the
suite's kubeconfig (its server, CA and an identity allowed to write Secrets
in kube-system and to impersonate): no credentials, generated bearer tokens
(Hypothesis), a certificate from a CA of the suite's own, bootstrap tokens
whose Secrets the suite writes, SelfSubjectReview. A client certificate from
the cluster CA and a static token need the provider's optional
``client_credentials`` capability (conformance/adapters/apiserver.py); without
it those tests are reported not applicable. Skipped without the client.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.adapters import Implementation
from conformance.profiles import settings_for
from conformance.security import authn as suite

pytestmark = pytest.mark.component("apiserver")

_TOKEN_CHARS = string.ascii_letters + string.digits + "-._~+/="
_LOWER = string.ascii_lowercase + string.digits

#: Tokens no authenticator may accept: free text, near-misses of the bootstrap form (wrong lengths,
#: upper case, another separator) and JWT-shaped strings no key signed.
GARBAGE_TOKENS = st.one_of(
    st.text(alphabet=_TOKEN_CHARS, min_size=1, max_size=64),
    st.builds(
        lambda a, sep, b: f"{a}{sep}{b}",
        st.text(alphabet=_LOWER + "ABZ", min_size=0, max_size=8),
        st.sampled_from([".", "-", ":", ""]),
        st.text(alphabet=_LOWER + "XYZ", min_size=0, max_size=20),
    ).filter(bool),
    st.lists(
        st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=40),
        min_size=3,
        max_size=3,
    ).map(".".join),
)
MALFORMED_HEADERS = (
    "Basic a3NwZWM6c2VjcmV0",
    "Bearer",
    "Bearer ",
    "Token abcdef.0123456789abcdef",
    "abcdef.0123456789abcdef",
    "Bearer abcdef.0123456789abcdeg extra",
)


@contextmanager
def _servers(kspec_implementation: Implementation) -> Iterator[suite.Servers]:
    pytest.importorskip("kubernetes.config", reason="the security suite needs the kubernetes client")
    provider = kspec_implementation.component("apiserver")
    with provider.serve() as kubeconfig:
        yield suite.Servers(kubeconfig, provider)


def _applicable(check: Callable[..., Any], *args: Any) -> Any:
    try:
        return check(*args)
    except suite.NotApplicable as why:
        pytest.skip(f"not applicable: {why}")


@pytest.mark.requirement("SEC-AUTHN-ANONYMOUS-401")
def test_requests_without_credentials_get_401_except_health(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        assert suite.check_anonymous(servers) == len(suite.PROTECTED) + 1 + 4


@pytest.mark.requirement("SEC-AUTHN-INVALID-TOKEN")
def test_generated_bearer_tokens_are_refused(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        tried: list[str] = []

        base = settings_for(servers.provider) or settings.default

        # Two requests an example: at least 30 examples even on a wall-clock server's budget.
        @settings(base, max_examples=max(base.max_examples, 30))
        @given(GARBAGE_TOKENS)
        def refused(token: str) -> None:
            tried.append(token)
            suite.check_refused_token(servers, token)

        refused()
        assert len(tried) >= 30


@pytest.mark.requirement("SEC-AUTHN-INVALID-TOKEN")
def test_malformed_authorization_headers_are_refused(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        for header in MALFORMED_HEADERS:
            suite.check_malformed_header(servers, header)


@pytest.mark.requirement("SEC-AUTHN-CLIENT-CERT")
def test_a_certificate_from_another_ca_is_refused(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        refusals = suite.check_untrusted_certificate(servers)
    assert len(refusals) == len(suite.UNTRUSTED_CA_NAMES)
    assert set(refusals) <= {"TLS handshake refused", "401"}


@pytest.mark.requirement("SEC-AUTHN-CLIENT-CERT")
def test_a_certificate_from_the_cluster_ca_authenticates(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        _applicable(suite.check_cluster_certificate, servers, "kspec-alice", ("kspec-devs", "kspec-ops"))
        _applicable(suite.check_cluster_certificate, servers, "kspec-bob", ())


@pytest.mark.requirement("SEC-AUTHN-TOKEN-FILE")
def test_a_static_token_authenticates(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        _applicable(suite.check_static_token, servers, "kspec-carol", ("kspec-auditors",))


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-TOKEN")
def test_bootstrap_tokens_follow_their_secret(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        steps = suite.check_bootstrap_lifecycle(servers)
    assert len(steps) == 9, steps


@pytest.mark.requirement("SEC-AUTHN-SELF-SUBJECT-REVIEW")
def test_self_subject_review_names_the_caller(kspec_implementation: Implementation) -> None:
    with _servers(kspec_implementation) as servers:
        assert suite.check_own_review(servers)
        suite.check_impersonated_review(servers, "kspec-dave")
