"""spec/bootstrap_tokens.py: the bootstrap token format and the authenticator's decision.

Each rejection rule of bootstrap.go has a case, and seeded-bug variants of the decision
(a check dropped) must be caught by the same cases.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spec import bootstrap_tokens as bt

NOW = datetime(2026, 1, 1, tzinfo=UTC)
LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"


def _secret(
    token_id: str = "abcdef", token_secret: str = "0123456789abcdef", **overrides
) -> bt.BootstrapSecret:
    data = {
        bt.KEY_TOKEN_ID: token_id,
        bt.KEY_TOKEN_SECRET: token_secret,
        bt.KEY_EXPIRATION: "2026-01-02T00:00:00Z",
        bt.KEY_USAGE_AUTHENTICATION: "true",
        bt.KEY_USAGE_SIGNING: "true",
        bt.KEY_EXTRA_GROUPS: "system:bootstrappers:kubeadm:default-node-token",
    }
    deleting = overrides.pop("deleting", False)
    type_ = overrides.pop("type", bt.SECRET_TYPE)
    for key, value in overrides.items():
        key = key.replace("_", "-")
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return bt.BootstrapSecret(type=type_, data=data, deleting=deleting)


TOKEN = "abcdef.0123456789abcdef"

# (description, token, secret or None, reason fragment)
REJECTIONS = [
    ("malformed", "abcdef0123456789abcdef", _secret(), "malformed"),
    ("upper case", "ABCDEF.0123456789abcdef", _secret(), "malformed"),
    ("unknown", "zzzzzz.0123456789abcdef", _secret(), "no bootstrap token secret"),
    ("wrong secret", "abcdef.ffffffffffffffff", _secret(), "does not match"),
    ("expired", TOKEN, _secret(expiration="2025-12-31T23:59:59Z"), "expired"),
    ("bad expiration", TOKEN, _secret(expiration="tomorrow"), "RFC3339"),
    ("no auth usage", TOKEN, _secret(usage_bootstrap_authentication=None), "usage-bootstrap-authentication"),
    ("auth usage false", TOKEN, _secret(usage_bootstrap_authentication="false"), "usage-bootstrap"),
    ("deleting", TOKEN, _secret(deleting=True), "being deleted"),
    ("wrong type", TOKEN, _secret(type="Opaque"), "type"),
    ("id mismatch", TOKEN, _secret(token_id="zzzzzz"), "id does not match"),
    ("bad extra group", TOKEN, _secret(auth_extra_groups="system:masters"), "extra group"),
]


def _lookup(secret: bt.BootstrapSecret | None) -> dict[str, bt.BootstrapSecret]:
    return {} if secret is None else {bt.secret_name("abcdef"): secret}


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-DECISION")
def test_valid_token_authenticates_as_bootstrap_user() -> None:
    decision = bt.authenticate(TOKEN, _lookup(_secret()), NOW)
    assert decision.user is not None, decision.reason
    assert decision.user.name == "system:bootstrap:abcdef"
    assert decision.user.groups == ("system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token")


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-DECISION")
@pytest.mark.parametrize(("what", "token", "secret", "reason"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejections_carry_a_reason(what: str, token: str, secret: bt.BootstrapSecret, reason: str) -> None:
    decision = bt.authenticate(token, _lookup(secret), NOW)
    assert decision.user is None, what
    assert reason in decision.reason


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-FORMAT")
@given(st.text(max_size=30))
def test_only_the_token_pattern_parses(text: str) -> None:
    expected = re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}", text) is not None
    assert (bt.parse_token(text) is not None) == expected


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-FORMAT")
@given(st.text(LOWER, min_size=6, max_size=6), st.text(LOWER, min_size=16, max_size=16))
def test_well_formed_tokens_round_trip(token_id: str, token_secret: str) -> None:
    assert bt.parse_token(f"{token_id}.{token_secret}") == (token_id, token_secret)
    decision = bt.authenticate(
        f"{token_id}.{token_secret}", {bt.secret_name(token_id): _secret(token_id, token_secret)}, NOW
    )
    assert decision.user is not None and decision.user.name == bt.USER_PREFIX + token_id


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-DECISION")
@given(st.integers(min_value=-(10**6), max_value=10**6))
def test_expiry_boundary(seconds: int) -> None:
    expiration = (NOW + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    decision = bt.authenticate(TOKEN, _lookup(_secret(expiration=expiration)), NOW)
    assert (decision.user is not None) == (seconds >= 0)


# Seeded bugs: the decision with one check dropped. The rejection cases must catch every one.
def _drop(check: str):
    original = bt.authenticate

    def buggy(token, lookup, now):
        if check == "expiry":
            now = datetime(1970, 1, 1, tzinfo=UTC)
        if check == "deleting":
            lookup = {k: bt.BootstrapSecret(v.type, v.data, False) for k, v in lookup.items()}
        if check == "usage":
            lookup = {
                k: bt.BootstrapSecret(v.type, {**v.data, bt.KEY_USAGE_AUTHENTICATION: "true"}, v.deleting)
                for k, v in lookup.items()
            }
        if check == "secret":
            parsed = bt.parse_token(token)
            if parsed and bt.secret_name(parsed[0]) in lookup:
                token = f"{parsed[0]}.{lookup[bt.secret_name(parsed[0])].data[bt.KEY_TOKEN_SECRET]}"
        if check == "format":
            token = (
                token.lower().replace("0123456789abcdef", ".0123456789abcdef", 1)
                if "." not in token
                else token
            )
            token = token.lower()
        return original(token, lookup, now)

    return buggy


@pytest.mark.requirement("SEC-AUTHN-BOOTSTRAP-DECISION")
@pytest.mark.parametrize("check", ["expiry", "deleting", "usage", "secret", "format"])
def test_seeded_bugs_are_caught(check: str) -> None:
    buggy = _drop(check)
    caught = [
        what for what, token, secret, _ in REJECTIONS if buggy(token, _lookup(secret), NOW).user is not None
    ]
    assert caught, f"dropping the {check} check went unnoticed"
