"""The worker's consumers, one module per upstream stream (`child_cases`: CHILD); the worker
(`entrypoints.worker`) builds their subscriptions."""
