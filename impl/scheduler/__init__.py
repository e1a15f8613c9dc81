"""The reference scheduler (issue 7): the default profile's filters and scores over a cluster snapshot.

``core.py`` is the plain, readable version (the spec's plugins per node);
``cache.py`` the scheduler cache (incremental NodeInfo aggregates, numpy
columns, snapshot diffing) and ``columnar.py`` the registered reference that
makes the plain version's decisions on it, fast enough for 5,000 nodes.
"""
