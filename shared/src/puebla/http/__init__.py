"""HTTP plumbing for the services' FastAPI apps: problem+json, health, the caller's principal."""
