"""The reference controller manager's controllers and the machinery they share (work queue, expectations)."""
