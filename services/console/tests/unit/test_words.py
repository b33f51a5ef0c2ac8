"""Every code the APIs answer has words: read from the published contracts, not from the code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.entrypoints import web
from console.entrypoints.words import WORDS

CONTRACTS = Path(__file__).resolve().parents[4] / "contracts" / "openapi"
# (service, schema, property) → the kind of words the console shows it with.
SHOWN = [
    ("repatriation", "ManifestRead", "status", "manifest_status"),
    ("repatriation", "HandoverEntry", "outcome", "outcome"),
    ("repatriation", "HandoverEntry", "reason", "refusal_reason"),
    ("repatriation", "ReturneeRead", "sex", "sex"),
    ("repatriation", "ReturneeRead", "nationality_status", "nationality_status"),
    ("repatriation", "ProtectionNeedRequest", "kind", "protection_kind"),
    ("repatriation", "ProtectionNeedRequest", "family", "protection_family"),
    ("consular", "NotificationRead", "status", "notification_status"),
    ("consular", "NotificationRead", "withdrawn_reason", "withdrawn_reason"),
    ("consular", "VerificationRead", "status", "verification_status"),
    ("consular", "ConsularActionRead", "kind", "action_kind"),
    ("consular", "DeliveryRead", "status", "delivery_status"),
    ("consular", "DeliveryRead", "channel", "channel"),
    ("consular", "ConsularPostRead", "kind", "post_kind"),
]


def codes(service: str, schema: str, prop: str) -> list[str]:
    spec = json.loads((CONTRACTS / f"{service}.json").read_text())
    node = spec["components"]["schemas"][schema]["properties"][prop]
    for alternative in [node, *node.get("anyOf", [])]:
        if "$ref" in alternative:
            alternative = spec["components"]["schemas"][alternative["$ref"].rsplit("/", 1)[1]]
        if "enum" in alternative:
            return list(alternative["enum"])
    raise AssertionError(f"{service} {schema}.{prop} has no enum")


@pytest.mark.parametrize(("service", "schema", "prop", "kind"), SHOWN)
def test_every_code_of_the_contract_has_words(
    service: str, schema: str, prop: str, kind: str
) -> None:
    missing = [c for c in codes(service, schema, prop) if c not in WORDS[kind]]
    assert not missing, f"{kind}: no words for {missing}"


def test_a_code_is_shown_in_the_officers_language() -> None:
    assert web.word("es", "outcome", "not_presented") == "No presentada"
    assert web.word("en", "outcome", "not_presented") == "Not presented"
    assert web.word("es", "outcome", "a_new_code") == "a_new_code"  # shown, never dropped
    assert web.word("es", "outcome", None) == "—"
