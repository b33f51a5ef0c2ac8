"""The worker's consumers, one module each; `entrypoints.worker` builds their subscriptions."""
