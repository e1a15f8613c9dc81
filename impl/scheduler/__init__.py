"""The reference scheduler (issue 7): the default profile's filters and scores over a cluster snapshot."""
