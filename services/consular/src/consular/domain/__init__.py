"""The consular domain: pure Python (stdlib only), no I/O, time always passed in (aware, kept in
UTC), ids made by the caller.

Rules: DOMAIN.md §4 (consular notification) and the triggers of §1/§2; access: POLICY.md
"Consular notifications and nationality verification" and the protection exception.

Modules:

- `directory`  — `ConsularPost`, `PostKind`, `Directory`, `route(directory, nationality,
  host_country, place_state, on) -> ConsularPost` (consulate, embassy, concurrent accreditation;
  with none, the notification is kept `unroutable`).
- `reference`  — `MandatoryNotification`, `NotificationClock`, `ReferenceData` (directory +
  mandatory table + clocks).
- `seed`       — the seed rows (`POSTS`, `MANDATORY_NOTIFICATIONS`, `CLOCKS`, `MEXICAN_STATES`)
  and `reference_data()`; the migration and the tests load the same values.
- `rules`      — `NotificationKind`, `SuppressionReason`, `suppression_reason(...)`.
- `model`      — the aggregates `Notification` and `NationalityVerification` (+ `Delivery`,
  `ManifestSummary`, `ConsularAction`); `notification.py` and `verification.py` hold them.
- `triggers`   — `notify_on_report`, `notify_on_repatriation`, `notify_on_repatriation_cancelled`,
  `notify_on_child_case`, `notify_on_fund_approval`, `request_verification`, and the replay
  keys.
- `states` also holds `WithdrawalReason`: why a notice or a verification request was taken
  back (`protection`: gone for the person's own country; `removed`, `cancelled`: shown).
- `commands`, `events`, `errors` (kind → HTTP status), `states` (the enums), `values`
  (`Actor`, `Person`, `Place`, `Related`).

The names most callers need are re-exported here.
"""

from consular.domain.directory import ConsularPost, Directory, PostKind, route
from consular.domain.errors import ConsularError
from consular.domain.model import (
    ConsularAction,
    Delivery,
    ManifestSummary,
    NationalityVerification,
    Notification,
)
from consular.domain.reference import MandatoryNotification, NotificationClock, ReferenceData
from consular.domain.rules import NotificationKind, SuppressionReason
from consular.domain.states import (
    Channel,
    ConsularActionKind,
    Deadline,
    Decision,
    DeliveryStatus,
    NotificationStatus,
    VerificationStatus,
    WithdrawalReason,
)
from consular.domain.triggers import (
    notify_on_child_case,
    notify_on_fund_approval,
    notify_on_repatriation,
    notify_on_repatriation_cancelled,
    notify_on_report,
    request_verification,
)
from consular.domain.values import Actor, Person, Place, Related, Sex

__all__ = [
    "Actor",
    "Channel",
    "ConsularAction",
    "ConsularActionKind",
    "ConsularError",
    "ConsularPost",
    "Deadline",
    "Decision",
    "Delivery",
    "DeliveryStatus",
    "Directory",
    "MandatoryNotification",
    "ManifestSummary",
    "NationalityVerification",
    "Notification",
    "NotificationClock",
    "NotificationKind",
    "NotificationStatus",
    "Person",
    "Place",
    "PostKind",
    "ReferenceData",
    "Related",
    "Sex",
    "SuppressionReason",
    "VerificationStatus",
    "WithdrawalReason",
    "notify_on_child_case",
    "notify_on_fund_approval",
    "notify_on_repatriation",
    "notify_on_repatriation_cancelled",
    "notify_on_report",
    "request_verification",
    "route",
]
