"""Contract events of the `fund` context."""
