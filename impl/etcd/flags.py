"""etcd's command line, as ``kspec etcd`` takes it: the flags a script passes to etcd, parsed and
checked the way etcd checks them, so that starting the reference instead of etcd means changing
only the command.

What it models: etcd's ``server/etcdmain/config.go`` flag set and ``server/embed/config.go``
validation (read, not copied), for the flags a cluster needs: ``--name``, ``--data-dir``,
``--listen-client-urls``, ``--advertise-client-urls``, ``--listen-peer-urls``,
``--initial-advertise-peer-urls``, ``--initial-cluster``, ``--initial-cluster-state``,
``--initial-cluster-token``, ``--heartbeat-interval``, ``--election-timeout``,
``--max-txn-ops``, ``--snapshot-count``, ``--log-level``, ``--version``. As Go's flag package,
it takes ``--flag=value``, ``--flag value`` and the one-dash spellings of both. Defaults are
etcd's; ``--initial-cluster`` defaults to ``<name>=<initial-advertise-peer-urls>``, and
``--data-dir`` to ``<name>.etcd``, as etcd's do.

Checked as etcd checks them (``Config.Validate``, ``PeerURLsMapAndToken``): URLs are
``http://host:port`` (TLS is not offered: ``https`` is refused rather than served in the
clear), this member's name is in ``--initial-cluster`` with the URL of
``--initial-advertise-peer-urls``, names are not repeated, the election timeout is at least five
heartbeats and at most 50 s. A flag etcd has and this does not, or a bad value, is an error:
the message and usage on stderr, exit status 2 (argparse's, which is also what etcd's flag
package exits with).

Membership is the static ``--initial-cluster``: there is no runtime reconfiguration, so no
``member add`` to join through. A member with data in its data dir recovers it, whatever
``--initial-cluster-state`` says (as etcd ignores the flag then); ``existing`` with an empty
data dir is refused when the member starts (exit 1), since joining would need ``member add``
and a member that came back without its votes and log could break Raft's safety.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

#: What ``--version`` prints (etcd's first line is "etcd Version: X").
VERSION = "3.5.0-kspec"
LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "panic": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}

Address = tuple[str, int]


@dataclass(frozen=True)
class EtcdFlags:
    name: str
    data_dir: str
    listen_client: tuple[Address, ...]
    advertise_client_urls: tuple[str, ...]
    listen_peer: Address
    initial_advertise_peer_urls: tuple[str, ...]
    #: Every member's name and peer address, in the order given.
    initial_cluster: dict[str, Address]
    initial_cluster_state: str
    initial_cluster_token: str
    heartbeat_ms: int
    election_ms: int
    max_txn_ops: int
    snapshot_count: int
    log_level: int


class FlagError(ValueError):
    """A flag value etcd would refuse."""


def parse_address(url: str, flag: str) -> Address:
    """``http://host:port`` -> (host, port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise FlagError(f"{flag}: {url!r} is not a URL: {e}") from None
    if parts.scheme != "http":
        raise FlagError(f"{flag}: {url!r}: only http:// URLs are served (no TLS)")
    if not parts.hostname or port is None:
        raise FlagError(f"{flag}: {url!r} needs a host and a port")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise FlagError(f"{flag}: {url!r} must not have a path")
    return parts.hostname, port


def _urls(text: str, flag: str) -> tuple[str, ...]:
    urls = tuple(u.strip() for u in text.split(",") if u.strip())
    if not urls:
        raise FlagError(f"{flag} names no URL")
    for url in urls:
        parse_address(url, flag)
    return urls


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="kspec etcd",
        description="One member of kspec's reference etcd, serving etcd's v3 JSON gateway; takes etcd's "
        "flags (--flag=value or --flag value).",
        allow_abbrev=False,
    )
    add = p.add_argument
    add("--name", default="default", help="human-readable name for this member (default: default)")
    add("--data-dir", default=None, help="path to the data directory (default: <name>.etcd)")
    add("--listen-client-urls", default="http://localhost:2379", help="URLs to serve clients on")
    add("--advertise-client-urls", default="http://localhost:2379", help="this member's client URLs")
    add("--listen-peer-urls", default="http://localhost:2380", help="URL to listen on for peer traffic")
    add("--initial-advertise-peer-urls", default="http://localhost:2380", help="this member's peer URLs")
    add(
        "--initial-cluster",
        default=None,
        help="name=peerURL,... of every member (default: <name>=<peer URL>)",
    )
    add("--initial-cluster-state", default="new", choices=("new", "existing"), help="new or existing")
    add("--initial-cluster-token", default="etcd-cluster", help="initial cluster token (accepted, unused)")
    add("--heartbeat-interval", type=_positive, default=100, help="time (ms) of a heartbeat interval")
    add("--election-timeout", type=_positive, default=1000, help="time (ms) for an election to time out")
    add("--max-txn-ops", type=_positive, default=128, help="maximum operations in a txn request")
    add("--snapshot-count", type=_positive, default=100_000, help="applied entries between snapshots")
    add(
        "--log-level",
        default="info",
        choices=tuple(LOG_LEVELS),
        help="debug, info, warn, error, panic, fatal",
    )
    add("--version", action="store_true", help="print the version and exit")
    return p


def _go_spelling(argv: Sequence[str]) -> list[str]:
    """Go's flag package takes ``-name`` as ``--name``: spell one-dash flags with two."""
    return [f"-{a}" if a.startswith("-") and not a.startswith("--") and len(a) > 2 else a for a in argv]


def parse_flags(argv: Sequence[str]) -> EtcdFlags | None:
    """The flags, or None after ``--version`` printed the version. Exits 2 on a bad flag."""
    p = parser()
    args = p.parse_args(_go_spelling(argv))
    if args.version:
        print(f"etcd Version: {VERSION}\nGo Version: none (kspec reference, Python)")
        return None
    try:
        return _check(args)
    except FlagError as e:
        p.error(str(e))  # exits 2


def _check(args: argparse.Namespace) -> EtcdFlags:
    listen_client = tuple(
        parse_address(u, "--listen-client-urls")
        for u in _urls(args.listen_client_urls, "--listen-client-urls")
    )
    advertise_client = _urls(args.advertise_client_urls, "--advertise-client-urls")
    listen_peer = [
        parse_address(u, "--listen-peer-urls") for u in _urls(args.listen_peer_urls, "--listen-peer-urls")
    ]
    advertise_peer = _urls(args.initial_advertise_peer_urls, "--initial-advertise-peer-urls")
    text = args.initial_cluster or ",".join(f"{args.name}={u}" for u in advertise_peer)
    cluster: dict[str, list[str]] = {}
    for item in text.split(","):
        name, equals, url = item.strip().partition("=")
        if not equals or not name:
            raise FlagError(f"--initial-cluster: {item!r} is not name=URL")
        parse_address(url, "--initial-cluster")
        if url in cluster.get(name, []):
            raise FlagError(f"--initial-cluster has {name}={url} twice")
        cluster.setdefault(name, []).append(url)
    if args.name not in cluster:
        raise FlagError(f"couldn't find local name {args.name!r} in the initial cluster configuration")
    if sorted(cluster[args.name]) != sorted(advertise_peer):
        raise FlagError(
            f"--initial-cluster has {args.name}={','.join(cluster[args.name])} but "
            f"--initial-advertise-peer-urls is {','.join(advertise_peer)}"
        )
    if 5 * args.heartbeat_interval > args.election_timeout:
        raise FlagError(
            f"--election-timeout[{args.election_timeout}ms] should be at least as 5 times as "
            f"--heartbeat-interval[{args.heartbeat_interval}ms]"
        )
    if args.election_timeout > 50_000:
        raise FlagError(
            f"--election-timeout[{args.election_timeout}ms] is too long, and should be set less than 50000ms"
        )
    return EtcdFlags(
        name=args.name,
        data_dir=args.data_dir or f"{args.name}.etcd",
        listen_client=listen_client,
        advertise_client_urls=advertise_client,
        listen_peer=listen_peer[0],
        initial_advertise_peer_urls=advertise_peer,
        initial_cluster={name: parse_address(urls[0], "--initial-cluster") for name, urls in cluster.items()},
        initial_cluster_state=args.initial_cluster_state,
        initial_cluster_token=args.initial_cluster_token,
        heartbeat_ms=args.heartbeat_interval,
        election_ms=args.election_timeout,
        max_txn_ops=args.max_txn_ops,
        snapshot_count=args.snapshot_count,
        log_level=LOG_LEVELS[args.log_level],
    )


def main(argv: Sequence[str]) -> int:
    """``kspec etcd ARGS``: run one member until it is killed."""
    flags = parse_flags(argv)
    if flags is None:
        return 0
    from impl.etcd.server import serve_forever

    serve_forever(flags)
    return 0
