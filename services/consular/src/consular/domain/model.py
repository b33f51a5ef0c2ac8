"""The aggregates, in one import: `from consular.domain.model import Notification`.

They live in `notification.py` and `verification.py`; this module only gathers them so that the
adapters' mapping and the handlers have one place to look.
"""

from __future__ import annotations

from consular.domain.delivery import Delivery
from consular.domain.notification import ConsularAction, ManifestSummary, Notification
from consular.domain.verification import NationalityVerification

__all__ = [
    "ConsularAction",
    "Delivery",
    "ManifestSummary",
    "NationalityVerification",
    "Notification",
]
