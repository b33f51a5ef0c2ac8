"""Writes the contract artefacts from their source of truth; `--check` fails on drift.

- events/envelope.schema.json and, per event type, events/<context>/<type>.schema.json
  and .example.json — from the pydantic models in `puebla.contracts`;
- asyncapi.yaml — channels (= subjects) and messages of every event type;
- openapi/<service>.json — each service's OpenAPI document.

Run: `make contracts` (write) or `make contracts-check` (the test suite runs this too).
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from typing import Any

import yaml

import puebla.contracts
from puebla.contracts.base import REGISTRY, context_of
from puebla.contracts.envelope import Envelope

SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]
STREAMS = {
    "repatriation": "REPATRIATION",
    "child": "CHILD",
    "fund": "FUND",
    "consular": "CONSULAR",
    "audit": "AUDIT",
}


def load_all_contracts() -> None:
    for module in pkgutil.walk_packages(puebla.contracts.__path__, "puebla.contracts."):
        importlib.import_module(module.name)


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render() -> dict[str, str]:
    load_all_contracts()
    files: dict[str, str] = {}
    files["events/envelope.schema.json"] = dump(Envelope.model_json_schema())
    files["events/envelope.example.json"] = dump(
        Envelope.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]
    )
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, model in sorted(REGISTRY.items()):
        context = context_of(event_type)
        schema = model.model_json_schema()
        schema["$id"] = f"puebla:contracts/events/{context}/{event_type}.schema.json"
        files[f"events/{context}/{event_type}.schema.json"] = dump(schema)
        example = model.example()
        model.model_validate(example)  # an example that its own schema refuses is a bug
        files[f"events/{context}/{event_type}.example.json"] = dump(example)
        name = model.__name__
        messages[name] = {
            "name": event_type,
            "contentType": "application/json",
            "payload": {"$ref": f"./events/{context}/{event_type}.schema.json"},
            "examples": [{"payload": example}],
        }
        channels[event_type] = {
            "address": event_type,
            "description": f"JetStream stream {STREAMS.get(context, '?')}",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
    asyncapi = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Puebla events",
            "version": "1.0.0",
            "description": (
                "Domain events on NATS JetStream. Each message body is the CloudEvents-style "
                "envelope of events/envelope.schema.json whose `data` is the payload below; "
                "`Nats-Msg-Id` = envelope id; W3C `traceparent` rides in the headers."
            ),
        },
        "channels": channels,
        "components": {"messages": messages},
    }
    files["asyncapi.yaml"] = yaml.safe_dump(asyncapi, sort_keys=True, allow_unicode=True)
    for service in SERVICES:
        app_module = importlib.import_module(f"{service}.entrypoints.api.app")
        app = app_module.create_app()
        files[f"openapi/{service}.json"] = dump(app.openapi())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", type=Path, nargs="?", default=Path(__file__).parent)
    parser.add_argument("--check", action="store_true", help="fail if files would change")
    args = parser.parse_args(argv)
    files = render()
    target: Path = args.target
    existing = {
        str(p.relative_to(target)): p.read_text()
        for sub in ("events", "openapi")
        for p in (target / sub).rglob("*")
        if p.is_file()
    }
    if (target / "asyncapi.yaml").exists():
        existing["asyncapi.yaml"] = (target / "asyncapi.yaml").read_text()
    drift = sorted({k for k in files if existing.get(k) != files[k]} | (set(existing) - set(files)))
    if args.check:
        if drift:
            print("contracts drifted from their models; run `make contracts`:", file=sys.stderr)
            for name in drift:
                print(f"  {name}", file=sys.stderr)
                old = existing.get(name, "").splitlines()
                new = files.get(name, "").splitlines()
                for line in list(difflib.unified_diff(old, new, lineterm=""))[:20]:
                    print(f"    {line}", file=sys.stderr)
            return 1
        print(f"contracts up to date ({len(files)} files)")
        return 0
    for name in set(existing) - set(files):
        (target / name).unlink()
    for name, content in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    print(f"wrote {len(files)} contract files ({len(drift)} changed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
