"""The reference etcd: an MVCC store with leases and watches (``store``, ``watch``), the state
machine the reference Raft replicates, and the leader's lease clock (``lessor``). Two drivers run
it: the deterministic simulator (``sim``) and real member processes serving etcd's JSON gateway
(``server``, started by ``kspec etcd`` with etcd's flags, ``flags``; what members put in the Raft log
and say to each other besides Raft, ``peer``). The suite checks it against the sequential model in
``spec/kv.py``."""
