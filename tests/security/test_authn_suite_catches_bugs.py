"""The authentication suite (conformance/security/authn.py) catches seeded bugs of the reference's authn.

Each variant serves the reference API server through the same
``ReferenceAPIServerProvider`` with a broken piece of its authentication
(``security_factory`` wraps impl/apiserver/secure.py's ``secure``: another
authenticator, other Secrets seen, another TLS trust) or of SelfSubjectReview
(``server_factory``); the suite's check must fail with the requirement it
checks, and pass on the unbroken server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

pytest.importorskip("kubernetes.config")

from conformance.security import authn as suite
from conformance.security.test_authn import GARBAGE_TOKENS
from conformance.violation import RequirementViolation
from impl.apiserver import authn, tls
from impl.apiserver.core import APIServer, Response
from impl.apiserver.http import new_server
from impl.apiserver.provider import ReferenceAPIServerProvider
from impl.apiserver.secure import Security, secure
from impl.apiserver.storage import KV
from spec import authn_api, bootstrap_tokens
from spec.authn import UserInfo

RUNS = settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
#: The "another CA" the suite's certificate comes from; the broken server trusts it too.
FOREIGN_CA = suite.untrusted_ca("kspec-foreign-ca")


def _rebuilt(cls: type[authn.Authenticator], authenticator: authn.Authenticator, **changes: Any):
    fields = {f.name: getattr(authenticator, f.name) for f in dataclasses.fields(authenticator)}
    return cls(**{**fields, **changes})


def _with(change: Callable[[Security], Security]) -> Callable[[APIServer, Path], Security]:
    def factory(server: APIServer, directory: Path) -> Security:
        return change(secure(server, directory))

    return factory


class _SecretsView(Mapping):
    """kube-system's Secrets as a broken authenticator sees them."""

    def __init__(self, inner: Mapping[str, Any], edit: Callable[[dict[str, str]], dict[str, str]]) -> None:
        self._inner, self._edit = inner, edit

    def __getitem__(self, name: str) -> bootstrap_tokens.BootstrapSecret:
        secret = self._inner[name]
        return dataclasses.replace(secret, data=self._edit(dict(secret.data)))

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)


def _secrets_edited(edit: Callable[[dict[str, str]], dict[str, str]]) -> Callable[[Security], Security]:
    def change(security: Security) -> Security:
        inner = security.authenticator.secrets
        security.authenticator.secrets = lambda: _SecretsView(inner(), edit)
        return security

    return change


def expiration_ignored(data: dict[str, str]) -> dict[str, str]:
    data.pop(bootstrap_tokens.KEY_EXPIRATION, None)
    return data


def usage_ignored(data: dict[str, str]) -> dict[str, str]:
    return {**data, bootstrap_tokens.KEY_USAGE_AUTHENTICATION: "true"}


def secrets_cached_at_first_read(security: Security) -> Security:
    """Each Secret is remembered as first seen: later changes and deletion are never noticed."""
    inner, seen = security.authenticator.secrets, {}

    class Cached(Mapping):
        def __getitem__(self, name: str) -> Any:
            if name not in seen:
                seen[name] = inner()[name]
            return seen[name]

        def __iter__(self) -> Iterator[str]:
            return iter(inner())

        def __len__(self) -> int:
            return len(inner())

    security.authenticator.secrets = Cached
    return security


class AnonymousServed(authn.Authenticator):
    """--anonymous-auth on every path: a request without credentials is served as system:anonymous."""

    def authenticate(self, authorization: str | None, peer_cert: Any) -> Any:
        found = super().authenticate(authorization, peer_cert)
        return authn.anonymous_user() if found is None else found


class RefusedIsAnonymous(authn.Authenticator):
    """A refused bearer token is dropped and the request goes on as one without credentials."""

    def authenticate(self, authorization: str | None, peer_cert: Any) -> Any:
        found = super().authenticate(authorization, peer_cert)
        return None if isinstance(found, authn.Failure) else found


class AnyVerifiedCertificate(authn.Authenticator):
    """A certificate the TLS layer verified is believed, whichever CA issued it."""

    def authenticate(self, authorization: str | None, peer_cert: Any) -> Any:
        if peer_cert is not None:
            return authn._authenticated(tls.user_of_certificate(peer_cert))
        return super().authenticate(authorization, peer_cert)


class GroupsDropped(authn.Authenticator):
    """A client certificate's Organizations are not read as groups."""

    def authenticate(self, authorization: str | None, peer_cert: Any) -> Any:
        found = super().authenticate(authorization, peer_cert)
        if peer_cert is not None and isinstance(found, UserInfo):
            return UserInfo(found.name, found.uid, ("system:authenticated",))
        return found


def _authenticator(cls: type[authn.Authenticator]) -> Callable[[Security], Security]:
    def change(security: Security) -> Security:
        security.authenticator = _rebuilt(cls, security.authenticator)
        return security

    return change


def foreign_ca_trusted(security: Security) -> Security:
    """The TLS layer trusts an extra CA bundle (the foreign CA) and the chain believes what TLS verified."""
    from cryptography.hazmat.primitives import serialization

    security.ssl_context.load_verify_locations(
        cadata=FOREIGN_CA[0].public_bytes(serialization.Encoding.PEM).decode()
    )
    return _authenticator(AnyVerifiedCertificate)(security)


def review_without_authenticated(kv: KV, seed: int) -> APIServer:
    """SelfSubjectReview answers the user as the authenticator named it, before the group adder."""
    server = new_server(kv, seed=seed, authorization=True)
    original = server._self_subject_review

    def review(request: Any) -> Response:
        if request.user is not None:
            groups = tuple(g for g in request.user.groups if g != "system:authenticated")
            request = dataclasses.replace(request, user=dataclasses.replace(request.user, groups=groups))
        return original(request)

    server._self_subject_review = review  # type: ignore[method-assign]
    return server


def check_refused_tokens(servers: suite.Servers) -> None:
    @RUNS
    @given(GARBAGE_TOKENS)
    def refused(token: str) -> None:
        suite.check_refused_token(servers, token)

    refused()


CHECKS: dict[str, Callable[[suite.Servers], Any]] = {
    "anonymous": suite.check_anonymous,
    "tokens": check_refused_tokens,
    "malformed": lambda s: [suite.check_malformed_header(s, h) for h in ("Basic eDp5", "Bearer")],
    "foreign-cert": lambda s: suite.check_untrusted_certificate(s, make_ca=lambda name: FOREIGN_CA),
    "cluster-cert": lambda s: suite.check_cluster_certificate(s, "kspec-alice", ("kspec-devs",)),
    "static-token": lambda s: suite.check_static_token(s, "kspec-carol", ("kspec-auditors",)),
    "bootstrap": suite.check_bootstrap_lifecycle,
    "review": lambda s: (suite.check_own_review(s), suite.check_impersonated_review(s, "kspec-dave")),
}

#: (variant, check, the requirement it must report)
BUGS: list[tuple[str, dict[str, Any], str, str]] = [
    ("expired bootstrap tokens accepted", {"security": _secrets_edited(expiration_ignored)}, "bootstrap",
     authn_api.SEC_AUTHN_BOOTSTRAP_TOKEN.id),
    ("usage-bootstrap-authentication ignored", {"security": _secrets_edited(usage_ignored)}, "bootstrap",
     authn_api.SEC_AUTHN_BOOTSTRAP_TOKEN.id),
    ("bootstrap Secrets cached at first read", {"security": secrets_cached_at_first_read}, "bootstrap",
     authn_api.SEC_AUTHN_BOOTSTRAP_TOKEN.id),
    ("anonymous requests served", {"security": _authenticator(AnonymousServed)}, "anonymous",
     authn_api.SEC_AUTHN_ANONYMOUS_401.id),
    ("refused tokens served as anonymous", {"security": _authenticator(RefusedIsAnonymous)}, "tokens",
     authn_api.SEC_AUTHN_INVALID_TOKEN.id),
    ("certificates from another CA accepted", {"security": foreign_ca_trusted}, "foreign-cert",
     authn_api.SEC_AUTHN_CLIENT_CERT.id),
    ("certificate groups dropped", {"security": _authenticator(GroupsDropped)}, "cluster-cert",
     authn_api.SEC_AUTHN_CLIENT_CERT.id),
    ("SelfSubjectReview without system:authenticated", {"server": review_without_authenticated}, "review",
     authn_api.SEC_AUTHN_SELF_SUBJECT_REVIEW.id),
]  # fmt: skip


def _provider(broken: dict[str, Any]) -> ReferenceAPIServerProvider:
    provider = ReferenceAPIServerProvider()
    if "security" in broken:
        provider = dataclasses.replace(provider, security_factory=_with(broken["security"]))
    if "server" in broken:
        provider = dataclasses.replace(provider, server_factory=broken["server"])
    return provider


def _run(provider: ReferenceAPIServerProvider, check: str) -> None:
    with provider.serve() as kubeconfig:
        CHECKS[check](suite.Servers(kubeconfig, provider))


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_the_unbroken_server_passes(check: str) -> None:
    _run(ReferenceAPIServerProvider(), check)


@pytest.mark.parametrize(("name", "broken", "check", "requirement"), BUGS, ids=[b[0] for b in BUGS])
def test_the_suite_catches(name: str, broken: dict[str, Any], check: str, requirement: str) -> None:
    with pytest.raises(RequirementViolation) as caught:
        _run(_provider(broken), check)
    assert caught.value.requirement_id == requirement, str(caught.value)


def test_without_client_credentials_the_capability_tests_are_not_applicable() -> None:
    """A provider without the capability is reported not applicable, never passed."""
    plain = ReferenceAPIServerProvider()
    with plain.serve() as kubeconfig:
        servers = suite.Servers(kubeconfig, object())  # a provider object without client_credentials
        with pytest.raises(suite.NotApplicable):
            suite.check_cluster_certificate(servers, "kspec-alice", ())
        with pytest.raises(suite.NotApplicable):
            suite.check_static_token(servers, "kspec-carol", ())
