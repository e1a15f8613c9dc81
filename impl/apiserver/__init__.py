"""The reference Kubernetes API server (kspec issue 8).

``core`` (the sans-IO request core), ``storage`` (its kv calls), ``watch``
(watch streams), ``routing`` and ``discovery`` (URLs and discovery
documents), ``http`` (the aiohttp driver) and ``memory`` (a single-member
in-memory etcd behind the ``kv`` contract). What it models and what is not
done yet: ``core``'s docstring and the README, "The API server".
"""
