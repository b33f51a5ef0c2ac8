"""Contract events of the `consular` context."""
