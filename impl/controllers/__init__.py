"""Controllers of the reference control plane, written as reconcile steps over a small API client.

``client.APIClient`` is what they need of the API (list, get, update, delete
as JSON objects); ``client.InProcessClient`` serves it from the sans-IO
request core (``impl/apiserver/core.APIServer.handle``), so the controllers
run deterministically in tests and in the server process; an HTTP client can
serve the same protocol later (issue 10).

- ``garbagecollector``: owner references, propagationPolicy (API-GC-*).
- ``namespace``: terminating namespaces emptied and finalized (API-NAMESPACE-CASCADE).
- ``runner``: ``settle`` (run every controller until none has anything to do) and
  ``ControllerLoop`` (the same in a background thread beside the HTTP driver).
"""
