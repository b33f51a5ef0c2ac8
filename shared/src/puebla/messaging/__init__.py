"""NATS JetStream plumbing: connection, streams, the outbox relay and the consumer runner."""
