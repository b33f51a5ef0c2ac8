"""`python -m puebla.transparency.verify`: any member state checks a service's audit log
through its API, trusting neither the service nor whoever hosts it — only the signed tree
heads it already holds.

What it checks, against the service's newest signed tree head (`GET /v1/audit/log/head`):

- the head is signed by the service's key (`PUEBLA_AUDIT_PUBLIC_KEYS`, or `--public-keys`);
- every head held before — kept by this state in `--held` (a JSON file the command keeps up
  to date), or by the other services' witnesses (`--witness URL`, their `GET
  /v1/audit/checkpoints`) — is consistent with it: the same root for the same size (else the
  log forked: two parties were shown two histories), a consistency proof that verifies for a
  smaller size (else the history signed then was rewritten), never a larger size (else the
  log was cut short);
- with `--full`, the leaves the service serves rebuild exactly the signed root.

With `--handover-record` it checks a printed hand-over record instead
(`puebla.transparency.record_check`): offline from the printed values (`--manifest`,
`--digest`, `--signatures-digest`, `--key-id`, `--seal`, or all of them from `--record FILE`,
the record's JSON) and the public keys; with `--api` also the service's answer and the
signatures' inclusion in the signed log.

Exit status 0 when everything holds, 1 with one line per finding otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from puebla.audit_anchor import Checkpoint, CheckpointRefused, PublicKeys
from puebla.contracts.audit.v2 import LOG_FORMAT
from puebla.transparency import merkle


@dataclass
class Report:
    service: str
    head: Checkpoint | None = None
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.head is not None and not self.findings


def head_from(data: dict[str, Any]) -> Checkpoint:
    """A tree head as `GET /v1/audit/log/head` (or the held file) gives it."""
    return Checkpoint.from_data({**data, "version": data["tree_size"]})


def head_data(head: Checkpoint) -> dict[str, Any]:
    return {
        "format": head.format,
        "service": head.service,
        "tree_size": head.seq,
        "root_hash": head.head,
        "time": head.time.isoformat(),
        "key_id": head.key_id,
        "signature": head.signature,
    }


async def check(
    api: httpx.AsyncClient,
    service: str,
    keys: PublicKeys,
    held: Sequence[Checkpoint] = (),
    *,
    full: bool = False,
) -> Report:
    """Checks the service behind `api` (its base URL and credentials) against `held`."""
    report = Report(service)
    answer = await api.get("/v1/audit/log/head")
    if answer.status_code != 200:
        report.findings.append(f"no signed tree head: HTTP {answer.status_code}")
        return report
    head = head_from(answer.json())
    try:
        if head.service != service:
            raise CheckpointRefused(f"the head is {head.service}'s, not {service}'s")
        head.verify(keys)
    except CheckpointRefused as exc:
        report.findings.append(f"the served head is refused: {exc}")
        return report
    report.head = head
    for old in held:
        if old.service != service or old.format != LOG_FORMAT:
            continue
        try:
            old.verify(keys)
        except CheckpointRefused as exc:
            report.findings.append(f"a held head is refused: {exc}")
            continue
        report.findings += await _against(api, old, head)
    if full:
        report.findings += await _rebuild(api, head)
    return report


async def _against(api: httpx.AsyncClient, old: Checkpoint, head: Checkpoint) -> list[str]:
    if old.seq == head.seq:
        if old.head != head.head:
            return [
                f"two roots signed for tree size {old.seq} ({old.head[:12]}… held,"
                f" {head.head[:12]}… served): the log forked"
            ]
        return []
    if old.seq > head.seq:
        return [
            f"a head signed at {old.time.isoformat()} vouches for {old.seq} entries, the"
            f" service now serves {head.seq}: the log was cut short or forked"
        ]
    answer = await api.get(
        "/v1/audit/log/consistency", params={"first": old.seq, "second": head.seq}
    )
    if answer.status_code != 200:
        return [f"no consistency proof from {old.seq} to {head.seq}: HTTP {answer.status_code}"]
    proof = [bytes.fromhex(node) for node in answer.json()["proof"]]
    if not merkle.verify_consistency(old.seq, head.seq, old.root, head.root, proof):
        return [
            f"the log of {head.seq} entries does not extend the one of {old.seq} signed at"
            f" {old.time.isoformat()}: its history was rewritten"
        ]
    return []


async def _rebuild(api: httpx.AsyncClient, head: Checkpoint) -> list[str]:
    leaves: list[bytes] = []
    while len(leaves) < head.seq:
        answer = await api.get("/v1/audit/log/leaves", params={"start": len(leaves)})
        batch = [bytes.fromhex(h) for h in answer.json()["leaf_hashes"]]
        if answer.status_code != 200 or not batch:
            return [f"the service serves {len(leaves)} leaves of the {head.seq} signed"]
        leaves += batch
    if merkle.root(leaves[: head.seq]) != head.root:
        return [f"the leaves served do not rebuild the root signed for {head.seq} entries"]
    return []


def witnessed_head(row: dict[str, Any]) -> Checkpoint:
    """A head as another service keeps it (a row of its `GET /v1/audit/checkpoints`)."""
    return Checkpoint(
        service=row["service"],
        seq=row["seq"],
        head=row["head"],
        count=row["count"],
        time=datetime.fromisoformat(row["at"].replace("Z", "+00:00")),
        key_id=row["key_id"],
        signature=row["signature"],
        format=row["format"],
    )


async def witnessed(witness: httpx.AsyncClient, service: str) -> list[Checkpoint]:
    """The heads of `service` another service keeps (its `GET /v1/audit/checkpoints`)."""
    answer = await witness.get("/v1/audit/checkpoints")
    answer.raise_for_status()
    return [witnessed_head(row) for row in answer.json() if row["service"] == service]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m puebla.transparency.verify")
    parser.add_argument("service", help="e.g. repatriation")
    parser.add_argument("--api", help="the service's base URL (required but for a record)")
    parser.add_argument("--token", default=os.environ.get("PUEBLA_TOKEN", ""))
    parser.add_argument("--public-keys", default=os.environ.get("PUEBLA_AUDIT_PUBLIC_KEYS", ""))
    parser.add_argument("--held", type=Path, help="the heads this state keeps (JSON, updated)")
    parser.add_argument("--full", action="store_true", help="rebuild the root from all leaves")
    parser.add_argument(
        "--witness", action="append", default=[], help="another service's base URL (repeatable)"
    )
    record = parser.add_argument_group("a printed hand-over record (--handover-record)")
    record.add_argument("--handover-record", action="store_true", help="check a record")
    record.add_argument("--record", type=Path, help="the record's JSON (else the values below)")
    for name in ("manifest", "digest", "signatures-digest", "key-id", "seal"):
        record.add_argument(f"--{name}", help="as printed on the record")
    record.add_argument(
        "--status", default="signed", help="the signing status printed (default: signed)"
    )
    args = parser.parse_args(argv)
    keys = PublicKeys.parse(args.public_keys)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    if args.handover_record:
        return _record(args, keys, headers)
    if not args.api:
        parser.error("--api is required to check a log")
    held = (
        [head_from(d) for d in json.loads(args.held.read_text())]
        if args.held and args.held.exists()
        else []
    )

    async def run() -> Report:
        others = []
        for url in args.witness:
            async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as witness:
                others += await witnessed(witness, args.service)
        async with httpx.AsyncClient(base_url=args.api, headers=headers, timeout=30) as api:
            return await check(api, args.service, keys, [*held, *others], full=args.full)

    report = asyncio.run(run())
    for finding in report.findings:
        sys.stdout.write(f"{args.service}: {finding}\n")
    if report.ok and report.head is not None:
        sys.stdout.write(
            f"{args.service}: {report.head.seq} entries, root {report.head.head}, consistent"
            f" with {len(held)} held head(s)\n"
        )
        if args.held:
            kept = [head_data(h) for h in held if h.seq != report.head.seq]
            args.held.write_text(json.dumps([*kept, head_data(report.head)], indent=2))
    return 0 if report.ok else 1


def _record(args: argparse.Namespace, keys: PublicKeys, headers: dict[str, str]) -> int:
    from puebla.transparency import record_check  # it reads heads as this module does

    document = json.loads(args.record.read_text()) if args.record else None
    if document is not None:
        printed = record_check.Printed.of(document)
    else:
        values = [args.manifest, args.digest, args.signatures_digest, args.key_id, args.seal]
        if not all(values):
            sys.stderr.write(
                "give --record FILE, or --manifest, --digest, --signatures-digest, --key-id "
                "and --seal as printed\n"
            )
            return 2
        manifest, digest, signatures, key_id, sealed = values
        printed = record_check.Printed(manifest, digest, signatures, key_id, sealed, args.status)
    findings = record_check.check_printed(keys, args.service, printed, document)
    if args.api:

        async def online() -> list[str]:
            async with httpx.AsyncClient(base_url=args.api, headers=headers, timeout=30) as api:
                return await record_check.check_online(api, args.service, keys, printed)

        findings += asyncio.run(online())
    for finding in findings:
        sys.stdout.write(f"{args.service}: {finding}\n")
    if not findings:
        sys.stdout.write(
            f"{args.service}: hand-over record {printed.manifest_id} with digest "
            f"{printed.digest} is sealed by the service as {printed.status}\n"
        )
    return 0 if not findings else 1


if __name__ == "__main__":
    raise SystemExit(main())
