"""The reference etcd: an MVCC store with leases and watches (``store``, ``watch``), the state
machine the reference Raft replicates. The suite checks it against the sequential model in
``spec/kv.py``."""
