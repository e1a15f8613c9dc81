"""spec/authn_tokens.py: static token files and ServiceAccount token claims, with seeded bugs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec import authn_tokens as at

ISSUER = "https://kubernetes.default.svc"
NOW = 1_700_000_000
UIDS = {("default", "builder"): "uid-1"}


def _claims(**changes):
    claims = at.service_account_claims(
        issuer=ISSUER,
        namespace="default",
        name="builder",
        uid="uid-1",
        audiences=["api"],
        now=NOW,
        expiration_seconds=3600,
    )
    claims.update(changes)
    return claims


def _judge(claims, now=NOW, uids=UIDS, judge=at.judge_claims):
    return judge(claims, issuer=ISSUER, audiences=["api"], now=now, service_account_uid=uids)


@pytest.mark.requirement("SEC-AUTHN-TOKEN-FILE")
def test_token_file_lines() -> None:
    users = at.parse_token_file('t1,alice,1,"dev,ops"\nt2,bob,2\n\n')
    assert users["t1"].name == "alice" and users["t1"].groups == ("dev", "ops")
    assert users["t2"].uid == "2" and users["t2"].groups == ()
    assert "t3" not in users
    with pytest.raises(at.TokenFileError):
        at.parse_token_file("t1,alice\n")


@pytest.mark.requirement("SEC-AUTHN-TOKEN-FILE")
@given(
    st.lists(st.tuples(st.text("abcdef0123", min_size=1, max_size=8), st.text("xyz", max_size=4)), max_size=6)
)
def test_token_file_round_trip(rows) -> None:
    text = "".join(f"{token},{user},u\n" for token, user in rows)
    users = at.parse_token_file(text)
    assert set(users) == {token for token, _ in rows}


@pytest.mark.requirement("SEC-AUTHN-SA-CLAIMS")
def test_valid_claims_authenticate() -> None:
    decision = _judge(_claims())
    assert decision.user is not None, decision.reason
    assert decision.user.name == "system:serviceaccount:default:builder"
    assert decision.user.groups == ("system:serviceaccounts", "system:serviceaccounts:default")


REJECTIONS = [
    ("wrong audience", _claims(aud=["other"]), NOW, UIDS, "audiences"),
    ("expired", _claims(), NOW + 3600, UIDS, "expired"),
    ("not yet", _claims(nbf=NOW + 10), NOW, UIDS, "not valid yet"),
    ("wrong issuer", _claims(iss="https://evil"), NOW, UIDS, "issuer"),
    ("deleted sa", _claims(), NOW, {}, "not found"),
    ("recreated sa", _claims(), NOW, {("default", "builder"): "uid-2"}, "does not match claim"),
    ("forged subject", _claims(sub="system:serviceaccount:kube-system:admin"), NOW, UIDS, "subject"),
]


@pytest.mark.requirement("SEC-AUTHN-SA-CLAIMS")
@pytest.mark.parametrize(
    ("what", "claims", "now", "uids", "reason"), REJECTIONS, ids=[r[0] for r in REJECTIONS]
)
def test_claims_rejections(what, claims, now, uids, reason) -> None:
    decision = _judge(claims, now, uids)
    assert decision.user is None, what
    assert reason in decision.reason


@pytest.mark.requirement("SEC-AUTHN-SA-CLAIMS")
@given(st.integers(min_value=0, max_value=10_000))
def test_expiry_boundary(elapsed: int) -> None:
    assert (_judge(_claims(), NOW + elapsed).user is not None) == (elapsed < 3600)


def _buggy(dropped: str):
    def judge(claims, *, issuer, audiences, now, service_account_uid):
        if dropped == "audience":
            audiences = [*audiences, *(claims.get("aud") or [])]
        if dropped == "expiry":
            now = NOW
        if dropped == "uid":
            service_account_uid = {("default", "builder"): claims["kubernetes.io"]["serviceaccount"]["uid"]}
        if dropped == "issuer":
            issuer = claims.get("iss")
        return at.judge_claims(
            claims, issuer=issuer, audiences=audiences, now=now, service_account_uid=service_account_uid
        )

    return judge


@pytest.mark.requirement("SEC-AUTHN-SA-CLAIMS")
@pytest.mark.parametrize("dropped", ["audience", "expiry", "uid", "issuer"])
def test_seeded_bugs_are_caught(dropped: str) -> None:
    judge = _buggy(dropped)
    assert any(_judge(c, n, u, judge).user is not None for _, c, n, u, _ in REJECTIONS), dropped
