"""The value transformers of encryption at rest, and the transformer the storage applies per key.

Upstream: k8s.io/apiserver ``pkg/storage/value/encrypt/aes/aes.go`` (GCM: a
12-byte random nonce, then the sealed data, the etcd key as additional
authenticated data; CBC: a random 16-byte IV, then the PKCS#7-padded data
encrypted), ``pkg/storage/value/encrypt/secretbox/secretbox.go`` (a 24-byte
random nonce, then the XSalsa20-Poly1305 box: PyNaCl's SecretBox, which
``cryptography`` lacks), and ``pkg/storage/value/transformer.go``
(``prefixTransformers``: writes go through the first, reads through the one
whose prefix the value carries; a value read by any but the first is
*stale*, so a no-op update rewrites it, which is how rotation re-encrypts).

Randomness (nonces, IVs) is drawn from the server's ``spec.entropy.Entropy``
so a seeded run stays deterministic.

Requirement IDs: SEC-ENC-AT-REST, SEC-ENC-PREFIX, SEC-ENC-READ-ALL-PROVIDERS,
SEC-ENC-ROTATION (their predicates are in spec/encryption.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

from spec.encryption import EncryptionConfig, Key, Provider, parse_config
from spec.entropy import Entropy


class TransformError(Exception):
    """A stored value that no configured provider can read (upstream answers 500 InternalError)."""


def random_bytes(entropy: Entropy, n: int) -> bytes:
    return bytes(entropy.randint(0, 255) for _ in range(n))


def encrypt(kind: str, key: Key, plaintext: bytes, aad: bytes, entropy: Entropy) -> bytes:
    """The ciphertext (without prefix) of ``plaintext`` under ``key`` with provider ``kind``."""
    if kind == "aesgcm":
        nonce = random_bytes(entropy, 12)
        return nonce + AESGCM(key.secret).encrypt(nonce, plaintext, aad)
    if kind == "aescbc":
        iv = random_bytes(entropy, 16)
        padder = padding.PKCS7(128).padder()
        padded = padder.update(plaintext) + padder.finalize()
        encryptor = Cipher(algorithms.AES(key.secret), modes.CBC(iv)).encryptor()
        return iv + encryptor.update(padded) + encryptor.finalize()
    if kind == "secretbox":
        nonce = random_bytes(entropy, SecretBox.NONCE_SIZE)
        return bytes(SecretBox(key.secret).encrypt(plaintext, nonce))
    raise ValueError(f"provider {kind!r} does not encrypt")


def decrypt(kind: str, key: Key, ciphertext: bytes, aad: bytes) -> bytes:
    """The plaintext, or TransformError with upstream's reason."""
    try:
        if kind == "aesgcm":
            if len(ciphertext) < 12:
                raise TransformError("the stored data was shorter than the required size")
            return AESGCM(key.secret).decrypt(ciphertext[:12], ciphertext[12:], aad)
        if kind == "aescbc":
            if len(ciphertext) < 16 or len(ciphertext) % 16 != 0:
                raise TransformError("the stored data is not a multiple of the block size")
            decryptor = Cipher(algorithms.AES(key.secret), modes.CBC(ciphertext[:16])).decryptor()
            padded = decryptor.update(ciphertext[16:]) + decryptor.finalize()
            unpadder = padding.PKCS7(128).unpadder()
            return unpadder.update(padded) + unpadder.finalize()
        if kind == "secretbox":
            if len(ciphertext) < SecretBox.NONCE_SIZE:
                raise TransformError("the stored data was shorter than the required size")
            return bytes(SecretBox(key.secret).decrypt(ciphertext))
    except InvalidTag:
        raise TransformError("cipher: message authentication failed") from None
    except CryptoError:
        raise TransformError("output array was not large enough for encryption") from None
    except ValueError:
        raise TransformError("invalid PKCS7 data (empty or not padded)") from None
    raise ValueError(f"provider {kind!r} does not decrypt")


@dataclass(frozen=True)
class Read:
    data: bytes
    stale: bool  # not read by the first provider's first key: a write would store it differently


def write(provider: Provider, plaintext: bytes, aad: bytes, entropy: Entropy) -> bytes:
    """A value as ``provider`` stores it (SEC-ENC-PREFIX)."""
    if provider.kind == "identity":
        return plaintext
    key = provider.keys[0]
    prefix = provider.prefixes()[0][0]
    return prefix + encrypt(provider.kind, key, plaintext, aad, entropy)


def read(providers: tuple[Provider, ...], stored: bytes, aad: bytes) -> Read:
    """The plaintext of ``stored``, trying every provider by prefix (SEC-ENC-READ-ALL-PROVIDERS)."""
    first = True
    for provider in providers:
        if provider.kind == "identity":
            # identity reads anything not prefixed by an encrypting provider (transformer.go).
            if not stored.startswith(b"k8s:enc:"):
                return Read(stored, stale=not first)
            first = False
            continue
        for prefix, key in provider.prefixes():
            if stored.startswith(prefix):
                data = decrypt(provider.kind, key, stored[len(prefix) :], aad)
                return Read(data, stale=not first)
            first = False
        first = False
    raise TransformError("no matching prefix found")


def resource_of_key(key: str) -> str:
    """The resource segment of ``/registry/<resource>/...`` (what the configuration names)."""
    parts = key.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "registry" else ""


class ValueTransformer:
    """The configured transformers by key; ``reload`` swaps the configuration (upstream's reload)."""

    def __init__(self, config: EncryptionConfig, entropy: Entropy) -> None:
        self._config = config
        self._entropy = entropy
        self._lock = threading.Lock()

    @property
    def config(self) -> EncryptionConfig:
        return self._config

    def reload(self, config: EncryptionConfig) -> None:
        self._config = config

    def _providers(self, key: str) -> tuple[Provider, ...] | None:
        entry = self._config.for_resource(resource_of_key(key))
        return entry.providers if entry is not None else None

    def to_storage(self, key: str, value: bytes) -> bytes:
        providers = self._providers(key)
        if providers is None:
            return value
        with self._lock:  # the entropy stream is not thread-safe
            return write(providers[0], value, key.encode(), self._entropy)

    def from_storage(self, key: str, value: bytes) -> Read:
        providers = self._providers(key)
        if providers is None:
            return Read(value, stale=False)
        try:
            return read(providers, value, key.encode())
        except TransformError as error:
            raise TransformError(f'failed to decrypt data for key "{key}": {error}') from None


def load_config(path: Path | str) -> EncryptionConfig:
    """The configuration in the YAML (or JSON) file ``path`` (``--encryption-provider-config``)."""
    return parse_config(yaml.safe_load(Path(path).read_text()))


class ReloadingTransformer(ValueTransformer):
    """Re-reads the configuration file when its content changes (checked at most every read/write)."""

    def __init__(self, path: Path | str, entropy: Entropy) -> None:
        self.path = Path(path)
        self._text = self.path.read_text()
        super().__init__(parse_config(yaml.safe_load(self._text)), entropy)

    def _providers(self, key: str) -> tuple[Provider, ...] | None:
        self.check_reload()
        return super()._providers(key)

    def check_reload(self) -> bool:
        """Load the file again if it changed; an invalid new file keeps the old configuration (upstream)."""
        try:
            text = self.path.read_text()
        except OSError:
            return False
        if text == self._text:
            return False
        try:
            config = parse_config(yaml.safe_load(text))
        except (ValueError, yaml.YAMLError):
            return False
        self._text = text
        self.reload(config)
        return True


class DecryptingWatchStream:
    """A kv watch stream whose events carry plaintext values (watcher.go ``transform``)."""

    def __init__(self, inner: Any, transform: Callable[[str, bytes], bytes | None]) -> None:
        self._inner = inner
        self._transform = transform

    def _kv(self, kv: Any) -> Any:
        if kv is None or not kv.value:
            return kv
        value = self._transform(kv.key.decode(), kv.value)
        return kv if value is None else replace(kv, value=value)

    def receive(self, timeout_s: float) -> list[Any]:
        out = []
        for response in self._inner.receive(timeout_s):
            if response.events:
                events = tuple(
                    replace(e, kv=self._kv(e.kv), prev_kv=self._kv(e.prev_kv)) for e in response.events
                )
                response = replace(response, events=events)
            out.append(response)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
