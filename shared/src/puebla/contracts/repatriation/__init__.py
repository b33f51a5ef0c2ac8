"""Contract events of the `repatriation` context."""
