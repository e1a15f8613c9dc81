"""``kspec`` subcommands. ``kspec --help`` lists them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["etcd"]:  # etcd's own flags, parsed by etcd's rules (impl/etcd/flags.py)
        from impl.etcd.flags import main as etcd_main

        return etcd_main(arguments[1:])
    parser = argparse.ArgumentParser(
        prog="kspec",
        description="An executable specification of Kubernetes' main components and its conformance suite. "
        "Run the suite with: pytest --pyargs conformance --impl NAME (or tox -e conformance -- --impl NAME).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    requirements = commands.add_parser(
        "requirements", help="print the requirement registry as Markdown, or write/check docs/requirements.md"
    )
    mode = requirements.add_mutually_exclusive_group()
    mode.add_argument("--write", metavar="PATH", type=Path, help="write the Markdown to PATH")
    mode.add_argument("--check", metavar="PATH", type=Path, help="exit 1 if PATH differs from the registry")
    requirements.set_defaults(run=_requirements)

    implementations = commands.add_parser(
        "implementations", help="list the implementations --impl can name without a path"
    )
    implementations.set_defaults(run=_implementations)

    validate = commands.add_parser(
        "validate",
        help="check YAML manifests as the API server would (read, default, validate); exit 1 on any problem",
    )
    validate.add_argument("files", metavar="FILE", nargs="+", type=Path, help="a YAML file; '-' reads stdin")
    validate.add_argument(
        "--namespace",
        default="default",
        help="namespace of namespaced objects that name none (default: default)",
    )
    validate.set_defaults(run=_validate)

    api = commands.add_parser(
        "apiserver",
        help="serve the reference Kubernetes API server over HTTPS with authentication on loopback, writing "
        "an admin kubeconfig (the official client and kubectl work)",
    )
    api.add_argument(
        "--etcd",
        default="memory",
        metavar="URL|memory",
        help="where objects are stored: 'memory' (a single-member in-memory etcd model, the default) "
        "or the client URL of an etcd member, real or the reference's (http://host:port; etcd's JSON "
        "gateway, no TLS)",
    )
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    api.add_argument("--port", type=int, default=6443, help="port to listen on (default: 6443)")
    api.add_argument(
        "--authorization-mode",
        choices=("Node,RBAC", "AlwaysAllow"),
        default="Node,RBAC",
        help="Node,RBAC (the default: the Node and RBAC authorizers, the default RBAC policy, "
        "Impersonate-User honoured) or AlwaysAllow",
    )
    api.add_argument(
        "--encryption-provider-config",
        default=None,
        metavar="FILE",
        help="an EncryptionConfiguration (apiserver.config.k8s.io/v1) for encryption at rest; the file is "
        "re-read when it changes (docs/security-encryption.md)",
    )
    api.add_argument(
        "--data-dir",
        default="~/.kspec/apiserver",
        type=Path,
        help="where the PKI (pki/) and the admin kubeconfig (admin.conf) are kept "
        "(default: ~/.kspec/apiserver)",
    )
    api.add_argument(
        "--pki-dir",
        default=None,
        type=Path,
        help="kubeadm's PKI layout (ca.crt, ca.key, apiserver.crt, apiserver.key, sa.key), generated on "
        "first start (default: DATA_DIR/pki)",
    )
    api.add_argument(
        "--token-auth-file",
        default=None,
        type=Path,
        metavar="FILE",
        help='static bearer tokens, CSV lines token,user,uid[,"group1,group2"] (docs/security-authn.md)',
    )
    api.add_argument(
        "--service-account-key-file",
        default=None,
        type=Path,
        metavar="FILE",
        help="the EC P-256 private key (PEM) that signs and verifies ServiceAccount tokens (default: "
        "PKI_DIR/sa.key, generated on first start)",
    )
    api.add_argument(
        "--insecure-serve-http",
        action="store_true",
        help="for tests: plain HTTP without authentication, every caller trusted (no PKI, no kubeconfig)",
    )
    api.set_defaults(run=_apiserver)

    rewrite = commands.add_parser(
        "rewrite-secrets",
        help="rewrite every object of a resource with a no-op update, so it is stored with the first "
        "provider's first key (key rotation, docs/security-encryption.md)",
    )
    rewrite.add_argument("--kubeconfig", required=True, help="kubeconfig of the API server")
    rewrite.add_argument("--resource", default="secrets", help="core resource to rewrite (default: secrets)")
    rewrite.set_defaults(run=_rewrite)

    commands.add_parser(
        "etcd",
        add_help=False,
        help="run one member of the reference etcd with etcd's flags (kspec etcd --help lists them)",
    )

    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return 2
    return int(args.run(args))


def _requirements(args: argparse.Namespace) -> int:
    from spec.requirements import load_all, render_markdown

    text = render_markdown(load_all())
    if args.write:
        args.write.write_text(text, encoding="utf-8")
        print(f"wrote {args.write} ({len(load_all())} requirements)")
        return 0
    if args.check:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != text:
            print(f"{args.check} is stale: run 'kspec requirements --write {args.check}'", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


def _implementations(args: argparse.Namespace) -> int:
    from conformance.adapters.loading import known_implementations

    for name, target in known_implementations().items():
        print(f"{name}\t{target}")
    return 0


def _rewrite(args: argparse.Namespace) -> int:
    from impl.apiserver.rotation import rewrite_all

    count = rewrite_all(args.kubeconfig, args.resource)
    print(f"kspec rewrite-secrets: rewrote {count} {args.resource}", flush=True)
    return 0


def _apiserver(args: argparse.Namespace) -> int:
    import functools

    from impl.apiserver import http

    new_server = functools.partial(http.new_server, encryption_config=args.encryption_provider_config)
    if args.etcd == "memory":
        from impl.apiserver.memory import MemoryKV

        authorization = getattr(args, "authorization_mode", "AlwaysAllow") != "AlwaysAllow"
        server = new_server(MemoryKV().client(), authorization=authorization)
        print(
            f"kspec apiserver: in-memory store, serving {_scheme(args)}://{args.host}:{args.port}", flush=True
        )
        _serve_with_controllers(server, args)
        return 0
    address = _etcd_address(args.etcd)
    if address is None:
        print(
            f"kspec apiserver: --etcd {args.etcd!r}: expected 'memory' or http://host:port", file=sys.stderr
        )
        return 2
    from impl.peers.etcd_gateway import GatewayClient, get_json

    health = get_json(address, "/health", timeout_s=5.0)
    if not isinstance(health, dict):
        print(f"kspec apiserver: no etcd answers at {args.etcd} (GET /health)", file=sys.stderr)
        return 1
    authorization = getattr(args, "authorization_mode", "AlwaysAllow") != "AlwaysAllow"
    server = new_server(GatewayClient(address, timeout_s=5.0), authorization=authorization)
    print(
        f"kspec apiserver: etcd at {args.etcd}, serving {_scheme(args)}://{args.host}:{args.port}", flush=True
    )
    _serve_with_controllers(server, args)
    return 0


def _scheme(args: argparse.Namespace) -> str:
    return "http" if getattr(args, "insecure_serve_http", False) else "https"


def _secure(server: object, args: argparse.Namespace) -> Any:
    """HTTPS and authentication for ``server`` (impl/apiserver/secure.py ``Security``, None with
    ``--insecure-serve-http``); writes DATA_DIR/admin.conf."""
    from impl import kubeconfig
    from impl.apiserver.secure import secure

    if getattr(args, "insecure_serve_http", False):
        return None
    data_dir = Path(getattr(args, "data_dir", "~/.kspec/apiserver")).expanduser()
    pki_dir = Path(args.pki_dir).expanduser() if getattr(args, "pki_dir", None) else data_dir / "pki"
    security = secure(
        server,
        pki_dir,
        token_auth_file=getattr(args, "token_auth_file", None),
        service_account_key_file=getattr(args, "service_account_key_file", None),
    )
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    admin = kubeconfig.write(
        data_dir / "admin.conf", security.admin_kubeconfig(f"https://{host}:{args.port}")
    )
    print(f"kspec apiserver: PKI in {pki_dir}, admin kubeconfig {admin}", flush=True)
    return security


def _serve_with_controllers(server: object, args: argparse.Namespace) -> None:
    """Serve in the foreground; the garbage collector and namespace controller in a background thread,
    and with authentication on the CSR approver and signer in another."""
    from impl.apiserver.core import APIServer
    from impl.apiserver.http import serve
    from impl.apiserver.secure import start_csr_controllers
    from impl.controllers.runner import ControllerLoop

    assert isinstance(server, APIServer)
    security = _secure(server, args)
    loop = ControllerLoop(server).start()
    csr = start_csr_controllers(server, security.pki) if security is not None else None
    try:
        serve(
            server,
            host=args.host,
            port=args.port,
            authenticator=security.authenticator if security is not None else None,
            ssl_context=security.ssl_context if security is not None else None,
        )
    finally:
        if csr is not None:
            csr.stop()
        loop.stop()


def _etcd_address(url: str) -> str | None:
    """``host:port`` of an ``http://host:port`` URL (etcd's client URL form), or None."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "http" or not parts.hostname or port is None or parts.path not in ("", "/"):
        return None
    return f"{parts.hostname}:{port}"


def _validate(args: argparse.Namespace) -> int:
    from spec.objects import check_manifests

    found = 0
    for path in args.files:
        name = "<stdin>" if str(path) == "-" else str(path)
        try:
            text = sys.stdin.read() if name == "<stdin>" else path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            print(f"{name}: cannot read: {error}", file=sys.stderr)
            found += 1
            continue
        for problem in check_manifests(text, namespace=args.namespace):
            print(f"{name}: {problem}")
            found += 1
    if found:
        print(f"{found} problem(s) in {len(args.files)} file(s)", file=sys.stderr)
        return 1
    return 0
