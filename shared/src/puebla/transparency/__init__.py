"""The audit trail as a transparency log: RFC 9162 Merkle trees, their proofs and their checks."""
