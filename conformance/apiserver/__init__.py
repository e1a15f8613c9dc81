"""The apiserver suite: the Kubernetes REST API through the official client (adapters/apiserver.py)."""
