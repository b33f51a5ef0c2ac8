"""Contract events of the `audit` context: each service's signed audit checkpoints."""
