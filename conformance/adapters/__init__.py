"""Plug-in contracts: how the suite reaches an implementation.

An implementation is loaded by name (``--impl``) from a factory. The factory
returns any object with a ``components`` mapping from component name (one of
``spec.requirements.COMPONENTS``) to a provider that satisfies that
component's protocol in this package (``register.RegisterProvider``, ...),
and optionally ``name`` and ``description`` strings. Protocols are structural,
so an implementation never imports kspec to satisfy them.
"""

from conformance.adapters.loading import (
    Implementation,
    ImplementationError,
    known_implementations,
    load_implementation,
)

__all__ = ["Implementation", "ImplementationError", "known_implementations", "load_implementation"]
