"""Checking a printed, signed document — the hand-over record — against the service's seal and
its audit log (`python -m puebla.transparency.verify <service> --handover-record …`).

Offline, from what the paper prints (`Printed`) and the service's published public keys:

- the service's seal verifies over the manifest, the signing status (`signed`: both sides,
  no objection; `disputed`; …), the record's digest and the signatures' digest
  (`puebla.transparency.seal`): the service attests that this record, so signed, is the one
  it keeps — an edited digest or status, a record swapped for another, or signatures changed
  after the fact each fail it;
- with the record's JSON (`record`, e.g. saved from the API or from the console), that its
  digest is the canonical form's and that it carries these signatures; which sides signed
  that digest, and whether a side objected.

Online (`--api`), in addition: the service answers `verified` for this digest, and every
signature's audit-log entry is a leaf of the service's newest signed tree head (an inclusion
proof checked against the signed root) — so the signing cannot be quietly taken back later.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from puebla.audit_anchor import CheckpointRefused, PublicKeys
from puebla.transparency import merkle
from puebla.transparency.seal import Seal, canonical, sha256_hex, verify_seal
from puebla.transparency.verify import head_from

BESIDE_THE_RECORD = ("digest", "attestation")  # what the record's digest leaves out


def seal_subject(manifest_id: str, status: str) -> str:
    """What a hand-over record's seal names: which record, and how it stands signed."""
    return f"handover-record {manifest_id} {status}"


@dataclass(frozen=True)
class Printed:
    """The values the hand-over record's PDF prints."""

    manifest_id: str
    digest: str
    signatures_digest: str
    key_id: str
    seal: str
    status: str = "signed"  # the signing status the seal covers: `signed` by both, no objection

    @classmethod
    def of(cls, record: dict[str, Any]) -> Printed:
        """What a record's JSON answer says (the values its PDF prints)."""
        attestation = record["attestation"]
        sealed = attestation["seal"] or {"key_id": "", "signature": ""}
        return cls(
            manifest_id=record["manifest_id"],
            digest=record["digest"],
            signatures_digest=attestation["signatures_digest"],
            key_id=sealed["key_id"],
            seal=sealed["signature"],
            status=attestation["status"],
        )


def check_printed(
    keys: PublicKeys, service: str, printed: Printed, record: dict[str, Any] | None = None
) -> list[str]:
    """The findings (none: it holds) of the offline checks (module docstring)."""
    findings: list[str] = []
    why = verify_seal(
        keys,
        Seal(printed.key_id, printed.seal),
        service=service,
        subject=seal_subject(printed.manifest_id, printed.status),
        digest=printed.digest,
        signatures=printed.signatures_digest,
    )
    if why is not None:
        findings.append(f"the seal is refused: {why}")
    if record is None:
        return findings
    body = {k: v for k, v in record.items() if k not in BESIDE_THE_RECORD}
    if sha256_hex(canonical(body)) != printed.digest:
        findings.append("the record's content does not have the printed digest: it was changed")
    signatures = record.get("attestation", {}).get("signatures", [])
    if sha256_hex(canonical(signatures)) != printed.signatures_digest:
        findings.append("the record's signatures are not the sealed ones")
    sides = {g["side"] for g in signatures if g["digest"] == printed.digest}
    for side in ("sending", "receiving"):
        if side not in sides:
            findings.append(f"the {side} side has not signed this digest")
    return findings


async def check_online(
    api: httpx.AsyncClient, service: str, keys: PublicKeys, printed: Printed
) -> list[str]:
    """The service's own answer for the digest, and each signature's entry proved in the
    newest signed tree head."""
    answer = await api.get(
        f"/v1/manifests/{printed.manifest_id}/handover-record/verification",
        params={"digest": printed.digest},
    )
    if answer.status_code != 200:
        return [f"the service does not answer for this record: HTTP {answer.status_code}"]
    verification = answer.json()
    findings = [] if verification["verified"] else ["the service does not say both sides signed"]
    head_answer = await api.get("/v1/audit/log/head")
    if head_answer.status_code != 200:
        return [*findings, f"no signed tree head: HTTP {head_answer.status_code}"]
    head = head_from(head_answer.json())
    try:
        head.verify(keys)
    except CheckpointRefused as exc:
        return [*findings, f"the served head is refused: {exc}"]
    for entry in verification["attestation"]["log_entries"]:
        proof = await api.get(
            "/v1/audit/log/inclusion", params={"seq": entry["seq"], "tree_size": head.seq}
        )
        if proof.status_code != 200:
            findings.append(
                f"the {entry['side']} signature (entry {entry['seq']}) is not in the signed "
                f"log of {head.seq} entries yet: HTTP {proof.status_code}"
            )
            continue
        body = proof.json()
        leaf = merkle.leaf_hash(bytes.fromhex(entry["commitment"]))
        if body["leaf_hash"] != leaf.hex() or not merkle.verify_inclusion(
            leaf,
            body["leaf_index"],
            head.seq,
            [bytes.fromhex(node) for node in body["proof"]],
            head.root,
        ):
            findings.append(
                f"the {entry['side']} signature's entry {entry['seq']} is not proved in the "
                "signed log"
            )
    return findings
