"""The consular domain: pure Python (stdlib only), no I/O, time always passed in.

Rules: DOMAIN.md §4 (consular notification) and the triggers of §1/§2; access: POLICY.md
"Consular notifications and nationality verification" and the protection exception.

Public surface, by module:

- `directory`  — `ConsularPost`, `PostKind`, `Directory`, `route(directory, nationality,
  host_country, place_state, on) -> ConsularPost`.
- `reference`  — `MandatoryNotification`, `NotificationClock`, `ReferenceData` (directory +
  mandatory table + clocks).
- `seed`       — the seed rows (`POSTS`, `MANDATORY_NOTIFICATIONS`, `CLOCKS`, `MEXICAN_STATES`)
  and `reference_data()`; the migration and the tests load the same values.
- `rules`      — `NotificationKind`, `SuppressionReason`, `suppression_reason(...)`.
- `model`      — the aggregates `Notification` and `NationalityVerification` (+ `Delivery`,
  `ManifestSummary`, `ConsularAction`).
- `triggers`   — `notify_on_report`, `notify_on_repatriation`, `notify_on_repatriation_cancelled`,
  `notify_on_child_case`, `request_verification`, and the replay keys.
- `commands`, `events`, `errors`, `states`, `values` — as named.
"""
