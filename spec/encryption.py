"""Encryption of resources at rest: the EncryptionConfiguration and the stored-value format.

Models k8s.io/apiserver ``pkg/apis/apiserver/validation/validation_encryption.go``
(validation, with upstream's field paths and messages) and
``pkg/server/options/encryptionconfig/config.go`` (the first provider of a
resource's list encrypts every write; reads try every provider, the
encrypting ones by their ``k8s:enc:<provider>:v1:<key name>:`` prefix, and
``identity`` reads data that carries no such prefix). KMS is not supported
here and is refused with a clear message.

Requirement IDs: SEC-ENC-AT-REST, SEC-ENC-PREFIX, SEC-ENC-READ-ALL-PROVIDERS,
SEC-ENC-ROTATION, SEC-ENC-CONFIG-VALIDATION.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from spec.requirements import requirement

API_VERSION = "apiserver.config.k8s.io/v1"
KIND = "EncryptionConfiguration"
ENCRYPTING_PROVIDERS = ("aesgcm", "aescbc", "secretbox")
PROVIDERS = ("kms", *ENCRYPTING_PROVIDERS, "identity")
# validation_encryption.go: aesKeySizes and secretBoxKeySizes.
KEY_SIZES: dict[str, tuple[int, ...]] = {"aesgcm": (16, 24, 32), "aescbc": (16, 24, 32), "secretbox": (32,)}

SEC_ENC_AT_REST = requirement(
    "SEC-ENC-AT-REST",
    "When an encrypting provider is first for a resource, the bytes the API server stores for an object "
    "of it MUST NOT contain any of the object's Secret data values, plain or base64-encoded, and every "
    "write MUST use a fresh nonce or IV (no two stored values share one).",
    component="apiserver",
    source="k8s.io/apiserver pkg/server/options/encryptionconfig/config.go; "
    "kubernetes.io/docs/tasks/administer-cluster/encrypt-data/",
)
SEC_ENC_PREFIX = requirement(
    "SEC-ENC-PREFIX",
    "A value written under an encrypting provider MUST be stored as k8s:enc:<provider>:v1:<key name>: "
    "followed by the ciphertext of the first key of the first provider.",
    component="apiserver",
    source="k8s.io/apiserver pkg/server/options/encryptionconfig/config.go (prefixes per key)",
)
SEC_ENC_READ_ALL_PROVIDERS = requirement(
    "SEC-ENC-READ-ALL-PROVIDERS",
    "A stored value written by any provider and key of the configuration MUST be readable; a value no "
    "provider can read MUST be refused with an error, never returned as garbage.",
    component="apiserver",
    source="k8s.io/apiserver pkg/storage/value/transformer.go (prefixTransformers.TransformFromStorage)",
)
SEC_ENC_ROTATION = requirement(
    "SEC-ENC-ROTATION",
    "Rotating keys as documented (add the new key second, restart, move it first, restart, rewrite every "
    "object, remove the old key) MUST keep every object readable with its original data at every step.",
    component="apiserver",
    source="kubernetes.io/docs/tasks/administer-cluster/encrypt-data/#rotating-a-decryption-key",
)
SEC_ENC_CONFIG_VALIDATION = requirement(
    "SEC-ENC-CONFIG-VALIDATION",
    "An EncryptionConfiguration with no resources or providers, a provider element naming none or several "
    "providers, or a key without name, with a secret that is not base64 or of a wrong length MUST be "
    "rejected with upstream's field path and message.",
    component="apiserver",
    source="k8s.io/apiserver pkg/apis/apiserver/validation/validation_encryption.go",
)


class EncryptionConfigError(ValueError):
    """A configuration upstream would refuse; ``errors`` are upstream's field errors, one per line."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = tuple(errors)
        super().__init__("invalid EncryptionConfiguration: " + "; ".join(self.errors))


@dataclass(frozen=True)
class Key:
    name: str
    secret: bytes


@dataclass(frozen=True)
class Provider:
    """One element of a resource's provider list: ``kind`` is identity, aesgcm, aescbc or secretbox."""

    kind: str
    keys: tuple[Key, ...] = ()

    def prefixes(self) -> tuple[tuple[bytes, Key], ...]:
        return tuple((stored_prefix(self.kind, key.name), key) for key in self.keys)


@dataclass(frozen=True)
class ResourceConfig:
    resources: tuple[str, ...]
    providers: tuple[Provider, ...]

    def writer(self) -> Provider:
        """The provider that transforms every write: the first (config.go)."""
        return self.providers[0]


@dataclass(frozen=True)
class EncryptionConfig:
    resources: tuple[ResourceConfig, ...]

    def for_resource(self, resource: str, group: str = "") -> ResourceConfig | None:
        """The first entry naming ``resource`` (``secrets``, ``deployments.apps``) or a wildcard for it."""
        qualified = f"{resource}.{group}" if group else resource
        wildcards = ("*.*", f"*.{group}") if group else ("*.*", "*.")
        for entry in self.resources:
            if qualified in entry.resources or any(w in entry.resources for w in wildcards):
                return entry
        return None


def stored_prefix(provider: str, key_name: str) -> bytes:
    """``k8s:enc:<provider>:v1:<key name>:`` (SEC-ENC-PREFIX)."""
    return f"k8s:enc:{provider}:v1:{key_name}:".encode()


def _required(path: str, detail: str) -> str:
    return f"{path}: Required value: {detail}"


def _invalid(path: str, value: str, detail: str) -> str:
    return f'{path}: Invalid value: "{value}": {detail}'


def _keys(raw: Any, path: str, sizes: tuple[int, ...], errors: list[str]) -> tuple[Key, ...]:
    keys = raw.get("keys") if isinstance(raw, dict) else None
    if not keys:
        errors.append(_required(path, "at least one keys is required"))
        return ()
    out: list[Key] = []
    for i, key in enumerate(keys):
        at = f"{path}[{i}]"
        name = str(key.get("name") or "") if isinstance(key, dict) else ""
        secret = str(key.get("secret") or "") if isinstance(key, dict) else ""
        if not name:
            errors.append(_required(f"{at}.name", "name is a mandatory field for a key"))
        if not secret:
            errors.append(_required(f"{at}.secret", "secret is a mandatory field for a key"))
            continue
        try:
            decoded = base64.b64decode(secret, validate=True)
        except (binascii.Error, ValueError):
            errors.append(_invalid(f"{at}.secret", "REDACTED", "secrets must be base64 encoded"))
            continue
        if len(decoded) not in sizes:
            expected = "[" + " ".join(str(s) for s in sizes) + "]"
            errors.append(
                _invalid(
                    f"{at}.secret",
                    "REDACTED",
                    f"secret is not of the expected length, got {len(decoded)}, expected one of {expected}",
                )
            )
            continue
        out.append(Key(name, decoded))
    return tuple(out)


def parse_config(document: Any) -> EncryptionConfig:
    """The configuration of a parsed YAML/JSON document, or EncryptionConfigError with every field error."""
    if not isinstance(document, dict):
        raise EncryptionConfigError(["EncryptionConfiguration can't be nil"])
    if document.get("apiVersion") != API_VERSION or document.get("kind") != KIND:
        raise EncryptionConfigError(
            [
                f"expected apiVersion {API_VERSION} and kind {KIND}, got "
                f"{document.get('apiVersion')!r} and {document.get('kind')!r}"
            ]
        )
    errors: list[str] = []
    entries = document.get("resources") or []
    if not entries:
        raise EncryptionConfigError([_required("resources", "at least one resources is required")])
    parsed: list[ResourceConfig] = []
    for i, entry in enumerate(entries):
        entry = entry if isinstance(entry, dict) else {}
        r, p = f"resources[{i}].resources", f"resources[{i}].providers"
        names = tuple(str(n) for n in entry.get("resources") or ())
        if not names:
            errors.append(_required(r, f"at least one {r} is required"))
        providers: list[Provider] = []
        raw_providers = entry.get("providers") or []
        if not raw_providers:
            errors.append(_required(p, f"at least one {p} is required"))
        for j, element in enumerate(raw_providers):
            at = f"{p}[{j}]"
            found = [k for k in PROVIDERS if isinstance(element, dict) and k in element]
            if not found:
                errors.append(
                    _invalid(
                        at,
                        str(element),
                        "provider does not contain any of the expected providers: "
                        "KMS, AESGCM, AESCBC, Secretbox, Identity",
                    )
                )
                continue
            if len(found) > 1:
                errors.append(
                    _invalid(
                        at,
                        str(element),
                        "more than one provider specified in a single element, "
                        "should split into different list elements",
                    )
                )
                continue
            kind = found[0]
            if kind == "kms":
                errors.append(_invalid(f"{at}.kms", "kms", "the kms provider is not supported by kspec"))
            elif kind == "identity":
                providers.append(Provider("identity"))
            else:
                providers.append(
                    Provider(kind, _keys(element[kind], f"{at}.{kind}.keys", KEY_SIZES[kind], errors))
                )
        parsed.append(ResourceConfig(names, tuple(providers)))
    if errors:
        raise EncryptionConfigError(errors)
    return EncryptionConfig(tuple(parsed))


def secret_values(data: dict[str, str]) -> tuple[bytes, ...]:
    """What must not appear in stored bytes for a Secret's ``data`` (base64 strings): each value decoded and
    as base64 (SEC-ENC-AT-REST)."""
    out: list[bytes] = []
    for value in data.values():
        out.append(value.encode())
        out.append(base64.b64decode(value))
    return tuple(out)


def leaked_values(stored: bytes, data: dict[str, str], *, min_length: int = 4) -> tuple[bytes, ...]:
    """The values of ``data`` that appear in ``stored`` (values shorter than ``min_length`` bytes are
    skipped: a 1-byte value occurs in any ciphertext by chance). Neither the ``k8s:enc:...:`` prefix
    nor the nonce is searched: a value equal to either leaks nothing (a seeded bug's all-zero nonce
    "contained" an all-zero value)."""
    parsed = parse_stored(stored)
    body = parsed[2][NONCE_SIZES.get(parsed[0], 0) :] if parsed is not None else stored
    return tuple(v for v in secret_values(data) if len(v) >= min_length and v in body)


def has_encrypted_prefix(stored: bytes, provider: Provider) -> bool:
    """Whether ``stored`` carries the prefix of ``provider``'s first key (SEC-ENC-PREFIX)."""
    return bool(provider.keys) and stored.startswith(stored_prefix(provider.kind, provider.keys[0].name))


#: The random nonce (GCM, secretbox) or IV (CBC) that starts the ciphertext (aes.go, secretbox.go).
NONCE_SIZES = {"aesgcm": 12, "aescbc": 16, "secretbox": 24}


def parse_stored(stored: bytes) -> tuple[str, str, bytes] | None:
    """``(provider, key name, ciphertext)`` of a value carrying an encrypting provider's prefix, else None."""
    if not stored.startswith(b"k8s:enc:"):
        return None
    parts = stored.split(b":", 5)
    if len(parts) < 6 or parts[3] != b"v1":
        return None
    return parts[2].decode(errors="replace"), parts[4].decode(errors="replace"), parts[5]


def nonce_of(stored: bytes) -> bytes | None:
    """The nonce or IV of an encrypted stored value (SEC-ENC-AT-REST: never reused)."""
    parsed = parse_stored(stored)
    if parsed is None or parsed[0] not in NONCE_SIZES:
        return None
    return parsed[2][: NONCE_SIZES[parsed[0]]]
