"""The reference controller manager's controllers and the machinery they share.

- ``workqueue``, ``expectations``: client-go's work queue and ControllerExpectations.
- ``replicaset``: the ReplicaSet controller on informers (impl/apiclient.py).
- ``client``: the typed view (list, get, update, delete by kind) the reconcile
  steps below use, over any ``impl/apiclient.py`` client.
- ``garbagecollector``: owner references, propagationPolicy (API-GC-*).
- ``namespace``: terminating namespaces emptied and finalized (API-NAMESPACE-CASCADE).
- ``runner``: ``settle`` (run every controller until none has anything to do) and
  ``ControllerLoop`` (the same in a background thread beside the HTTP driver).
"""
