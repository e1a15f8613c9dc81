"""The kv suite: etcd's KV, Watch and Lease API against the sequential model of spec/kv.py."""
