"""The reference node components (for now: a simulated kubelet for the controllers' tests)."""
