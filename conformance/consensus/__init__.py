"""The consensus suite: the Raft requirements of spec/raft.py against ``--impl``'s ``consensus`` component."""
