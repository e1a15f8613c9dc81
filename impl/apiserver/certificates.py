"""The API server's CertificateSigningRequest storage and the ServiceAccount TokenRequest subresource.

What it does, for ``APIServer`` (impl/apiserver/core.py hands these requests here):

- ``certificatesigningrequests`` (k/k ``pkg/registry/certificates/certificates/{strategy,storage}.go``):
  create sets ``spec.username/uid/groups/extra`` from the authenticated requester and clears the
  status; the object itself, ``/status`` and ``/approval`` are three update paths with different
  strategies (``spec.certificates.merge_update``); ``/approval`` needs ``approve`` on
  ``signers/<signerName>`` (``plugin/pkg/admission/certificates/approval``), a certificate written
  through ``/status`` needs ``sign`` on it (``.../certificates/signing``). The request's signature is
  checked here (validation.go parses the CSR and checks its signature).
- ``serviceaccounts/<name>/token`` (``pkg/registry/core/serviceaccount/storage/token.go``): a
  TokenRequest in, the same with ``status.token`` and ``status.expirationTimestamp`` out, signed by
  ``APIServer.service_account_tokens`` and bound to the ServiceAccount's uid.

Requirement IDs: SEC-CSR-VALID, SEC-CSR-REQUESTER-FROM-AUTH, SEC-CSR-APPROVAL-SUBRESOURCE,
SEC-CSR-STATUS-SUBRESOURCE, SEC-SA-TOKEN-REQUEST (declared in spec/certificates.py).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from cryptography import x509

from spec import apiserver, rbac
from spec import certificates as spec
from spec.objects import core
from spec.objects.base import Time
from spec.objects.certificates import CertificateSigningRequest
from spec.objects.registry import to_dict
from spec.objects.validation.errors import Path, invalid, invalid_status

if TYPE_CHECKING:
    from impl.apiserver.core import APIServer, Request, Response
    from impl.apiserver.routing import ResourcePath

_SUBRESOURCES = ("status", "approval")
#: PrepareForCreate's requester fields (a module attribute so the project's tests can seed a bug).
_requester_spec = spec.requester_spec


def handles(target: ResourcePath) -> bool:
    """Whether this module serves ``target``: CSRs and their subresources, and serviceaccounts/token."""
    if target.info.model is CertificateSigningRequest:
        return True
    return target.info.model is core.ServiceAccount and target.subresource == "token"


def handle(server: APIServer, request: Request, target: ResourcePath) -> Response | None:
    """The answer, or None for what the generic resource code serves (get, list, watch, delete)."""
    from impl.apiserver.core import APIError

    if target.info.model is core.ServiceAccount:
        if request.method != "POST":
            raise APIError(apiserver.method_not_supported("", "serviceaccounts/token", request.method))
        return _token_request(server, request, target)
    sub = target.subresource
    if sub is not None and sub not in _SUBRESOURCES:
        raise APIError(apiserver.path_not_found())
    if target.name is None and request.method == "POST":
        return _create(server, request, target)
    if target.name is not None and request.method in ("PUT", "PATCH"):
        return _update(server, request, target, sub or "")
    if sub is not None and request.method != "GET":
        raise APIError(
            apiserver.method_not_supported(spec.GROUP, f"certificatesigningrequests/{sub}", request.method)
        )
    if sub is not None:  # GET of /status or /approval: the object
        return server._get(replace(target, subresource=None))
    return None


def request_facts(pem: bytes) -> spec.RequestFacts | None:
    """Subject and signature of a PEM CSR, or None when it does not parse."""
    try:
        parsed = x509.load_pem_x509_csr(pem)
    except ValueError:
        return None
    cn = [str(a.value) for a in parsed.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)]
    orgs = tuple(str(a.value) for a in parsed.subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME))
    return spec.RequestFacts(cn[0] if len(cn) == 1 else None, orgs, parsed.is_signature_valid)


def _invalid(name: str, errors: list) -> dict[str, Any]:
    return invalid_status(spec.GROUP, "CertificateSigningRequest", name, errors)


def _create(server: APIServer, request: Request, target: ResourcePath) -> Response:
    """PrepareForCreate on the body (requester from the authenticated user, no status), then the create."""
    from impl.apiserver.core import APIError

    obj = server._decode_body(request, target.info)
    assert isinstance(obj, CertificateSigningRequest)
    if obj.spec.request and spec.pem_request_der(obj.spec.request) is not None:
        facts = request_facts(obj.spec.request)
        if facts is None or not facts.signature_valid:
            why = "the request does not parse" if facts is None else "the request signature is invalid"
            errors = [invalid(Path("spec.request"), "<bytes>", why)]
            raise APIError(_invalid(obj.metadata.name, errors))
    prepared = obj.replace(spec=_requester_spec(obj.spec, request.user), status=type(obj.status)())
    body = json.dumps(to_dict(prepared)).encode()
    response = server._create(replace(request, body=body), target)
    server.lifecycle_changes += 1  # the approver and signer (impl/controllers/certificates.py) act on it
    return response


def _allowed(server: APIServer, request: Request, verb: str, signer_name: str) -> bool:
    """approve/sign on signers named the signer or its domain wildcard (the admission plugins)."""
    if request.user is None or server.authorizer is None:
        return True  # a trusted in-process caller
    for name in spec.signer_resource_names(signer_name):
        attributes = rbac.Attributes(
            request.user, verb, True, api_group=spec.GROUP, api_version="v1", resource="signers", name=name
        )
        if server.authorizer.decide(attributes).allowed:
            return True
    return False


def _update(server: APIServer, request: Request, target: ResourcePath, via: str) -> Response:
    from impl.apiserver.core import APIError, _apply_patch, _decode_patch

    name = target.name
    assert name is not None
    info = target.info
    if request.method == "PUT":
        given = server._check_scope(server._decode_body(request, info), target)
        server._check_name(given, name)

        def computed(old: Any, stored: Any) -> Any:
            return given
    else:
        content_type, body = _decode_patch(request)
        strict = (request.param("fieldValidation") or "").lower() == "strict"

        def computed(old: Any, stored: Any) -> Any:
            current = server._output(old, stored.mod_revision)
            obj = server._check_scope(
                server._decode_patched(_apply_patch(content_type, body, current, None), info, strict), target
            )
            server._check_name(obj, name)
            return obj

    def next_object(old: Any, stored: Any) -> Any:
        new = computed(old, stored)
        assert isinstance(old, CertificateSigningRequest) and isinstance(new, CertificateSigningRequest)
        merged = spec.merge_update(old, new, via)
        errors = spec.update_errors(old, merged)
        if errors:
            raise APIError(_invalid(name, errors))
        signer = old.spec.signer_name
        if via == "approval" and not _allowed(server, request, "approve", signer):
            raise APIError(
                _forbidden(
                    request, name, f'user not permitted to approve requests with signerName "{signer}"'
                )
            )
        if (
            via == "status"
            and merged.status.certificate != old.status.certificate
            and not _allowed(server, request, "sign", signer)
        ):
            raise APIError(
                _forbidden(request, name, f'user not permitted to sign requests with signerName "{signer}"')
            )
        return merged

    response = server._guaranteed_update(target, name, next_object, status_only=False)
    server.lifecycle_changes += 1
    return response


def _forbidden(request: Request, name: str, why: str) -> dict[str, Any]:
    return apiserver.forbidden_status(spec.GROUP, "certificatesigningrequests", name, why)


# -- TokenRequest -----------------------------------------------------------------------------------


def _token_request(server: APIServer, request: Request, target: ResourcePath) -> Response:
    from impl.apiserver.core import APIError, _json_response

    name, namespace = target.name, target.namespace or ""
    assert name is not None
    tokens = server.service_account_tokens
    if tokens is None:
        raise APIError(apiserver.path_not_found())
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise APIError(apiserver.bad_request(f"couldn't decode the TokenRequest: {error}")) from None
    token_spec = body.get("spec") if isinstance(body, dict) else None
    if not isinstance(token_spec, dict):
        token_spec = {}
    seconds = token_spec.get("expirationSeconds")
    seconds = spec.TOKEN_DEFAULT_EXPIRATION if seconds is None else seconds
    if not isinstance(seconds, int) or isinstance(seconds, bool):
        raise APIError(apiserver.bad_request("spec.expirationSeconds must be an integer"))
    errors = spec.token_expiration_errors(seconds)
    if errors:
        raise APIError(invalid_status("authentication.k8s.io", "TokenRequest", name, errors))
    audiences = [str(a) for a in token_spec.get("audiences") or ()] or list(tokens.audiences)
    account, _stored = server._read(replace(target, subresource=None), name)
    now = server.clock()
    token = tokens.issue(
        namespace,
        name,
        account.metadata.uid,
        now=int(now.timestamp()),
        audiences=audiences,
        expiration_seconds=seconds,
    )
    expires = Time.of(now + datetime.timedelta(seconds=seconds))
    answer = {
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": None},
        "spec": {
            "audiences": audiences,
            "expirationSeconds": seconds,
            "boundObjectRef": token_spec.get("boundObjectRef"),
        },
        "status": {"token": token, "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ")},
    }
    return _json_response(201, answer)
