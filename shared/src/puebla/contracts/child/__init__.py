"""Contract events of the `child` context."""
