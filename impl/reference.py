"""The reference implementation, as the suite loads it (``--impl reference``,
entry point ``kspec.implementations``). Each issue that lands a component
registers its provider here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from impl.apiserver.provider import ReferenceAPIServerProvider
from impl.controlplane import SimulatedControlPlaneProvider
from impl.etcd.sim import SimulatedEtcdProvider
from impl.raft.sim import SimulatedRaftProvider
from impl.register.adapter import SimulatedRegisterProvider
from impl.scheduler.columnar import ColumnarSchedulerProvider


@dataclass(frozen=True)
class ReferenceImplementation:
    name: str = "reference"
    description: str = (
        "kspec's reference implementation, run in the deterministic simulator (the API server over HTTP "
        "on loopback)"
    )
    components: Mapping[str, Any] = field(
        default_factory=lambda: {
            "register": SimulatedRegisterProvider(),
            "consensus": SimulatedRaftProvider(),
            "kv": SimulatedEtcdProvider(),
            "apiserver": ReferenceAPIServerProvider(),
            "scheduler": ColumnarSchedulerProvider(),
            "controllers": SimulatedControlPlaneProvider(),
        }
    )


def implementation() -> ReferenceImplementation:
    return ReferenceImplementation()
