"""The API server's PKI: a CA, a serving certificate and client certificates (cryptography library).

kubeadm's layout (``pki/ca.crt``, ``ca.key``, ``apiserver.crt``, ``apiserver.key``): generated into a
directory on first start and reused afterwards, so a kubeconfig written once keeps working. Client
certificates carry the user in CN and the groups in O, as the x509 authenticator reads them
(k8s.io/apiserver pkg/authentication/request/x509/x509.go CommonNameUserConversion).
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from spec.authn import UserInfo

_VALIDITY = datetime.timedelta(days=365)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str, organizations: tuple[str, ...] = ()) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


@dataclass
class PKI:
    """The CA and the serving pair in ``directory``."""

    directory: Path
    ca_cert: x509.Certificate
    ca_key: ec.EllipticCurvePrivateKey

    @property
    def ca_path(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def serving_cert_path(self) -> Path:
        return self.directory / "apiserver.crt"

    @property
    def serving_key_path(self) -> Path:
        return self.directory / "apiserver.key"

    def sign(
        self,
        public_key: ec.EllipticCurvePublicKey,
        subject: x509.Name,
        *,
        server: bool = False,
        now: datetime.datetime | None = None,
        validity: datetime.timedelta = _VALIDITY,
    ) -> x509.Certificate:
        """A certificate for ``public_key`` issued by the CA (client auth, or server auth with local SANs)."""
        now = now or datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.ca_cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + validity)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        return builder.sign(self.ca_key, hashes.SHA256())

    def client_certificate(self, user: str, groups: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
        """PEM (certificate, key) for ``user`` in ``groups`` (CN=user, O=groups)."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.sign(key.public_key(), _name(user, groups))
        return _pem_cert(cert), _pem_key(key)

    def server_context(self) -> ssl.SSLContext:
        """TLS for the server: client certificates optional, verified against the CA when presented."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.serving_cert_path, self.serving_key_path)
        context.load_verify_locations(self.ca_path)
        context.verify_mode = ssl.CERT_OPTIONAL
        return context


def ensure_pki(directory: Path) -> PKI:
    """Load the PKI in ``directory``, generating the CA and serving pair on first use."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_crt, ca_key_path = directory / "ca.crt", directory / "ca.key"
    if ca_crt.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_crt.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("kubernetes"))
            .issuer_name(_name("kubernetes"))
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + 10 * _VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .sign(ca_key, hashes.SHA256())
        )
        ca_key_path.write_bytes(_pem_key(ca_key))
        ca_key_path.chmod(0o600)
        ca_crt.write_bytes(_pem_cert(ca_cert))
    pki = PKI(directory, ca_cert, ca_key)
    if not (pki.serving_cert_path.exists() and pki.serving_key_path.exists()):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = pki.sign(key.public_key(), _name("kube-apiserver"), server=True)
        pki.serving_key_path.write_bytes(_pem_key(key))
        pki.serving_key_path.chmod(0o600)
        pki.serving_cert_path.write_bytes(_pem_cert(cert))
    return pki


def user_of_certificate(cert: x509.Certificate) -> UserInfo:
    """The x509 authenticator's user: CN is the name, each O a group."""
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    orgs = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return UserInfo(name=str(cn[0].value) if cn else "", groups=tuple(str(o.value) for o in orgs))


def verify_issued_by(cert: x509.Certificate, ca: x509.Certificate, now: datetime.datetime) -> str | None:
    """None when ``cert`` was issued by ``ca`` and is valid at ``now`` for client auth, else the reason."""
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, Exception) as error:  # InvalidSignature is not a ValueError
        return f"certificate not signed by the cluster CA: {type(error).__name__}"
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        return "certificate has expired or is not yet valid"
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    if ExtendedKeyUsageOID.CLIENT_AUTH not in usages:
        return "certificate is not for client authentication"
    return None
