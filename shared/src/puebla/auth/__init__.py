"""Authentication and the cross-border access rule: tokens, principal, policy, FastAPI glue."""

from puebla.auth.principal import Principal
from puebla.auth.settings import TokenSettings
from puebla.auth.tokens import TokenVerifier

__all__ = ["Principal", "TokenSettings", "TokenVerifier"]
