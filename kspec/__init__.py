"""The ``kspec`` command line: the outermost layer, which may use every package.

It sits above ``spec``, ``invariants``, ``impl`` and ``conformance`` so that
subcommands that serve the reference implementation (``kspec etcd``,
``kspec apiserver``) and those that serve the suite live in one place without
breaking the import direction between the four packages.
"""
