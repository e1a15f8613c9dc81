"""The kv suite: spec/kv.py's and spec/kv_watch.py's requirements against ``--impl``'s ``kv`` component."""
