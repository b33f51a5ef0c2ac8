"""Contract models: the shapes that cross a service boundary (events on NATS).

Pydantic models here are the source of truth; `make contracts` writes their JSON Schemas to
`contracts/events/` and the test suite fails when the committed files drift. Producer models
forbid unknown fields; consumers parse leniently (`extra="ignore"`: their own view of the
payload, or `Model.model_validate(data)` on a copy with `extra` relaxed), so an additive
change never breaks them.
"""
