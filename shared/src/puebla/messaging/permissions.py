"""Who may do what on the bus: one NATS user per service, per border post, for operators, the
dead-letter desk and the stream provisioner — each with subject permissions.

The rule is least privilege by subject:
- a service publishes only its own context's subjects (`repatriation.>` …), its audit
  checkpoints (`audit.<context>.>`) and the dead letters of its own durables; so a `source`
  other than the subject's context cannot be published at all;
- it reads only through its own durables, each named here with its one filter subject: the
  consumer-create permission carries the filter (`$JS.API.CONSUMER.CREATE.<stream>.<durable>.
  <filter>`), so a service cannot widen its durable to a stream's other subjects, nor read
  a stream it has no durable on, nor fetch from another service's durable;
- replies come back on the user's own inbox prefix (`_INBOX_<user>.>`): with the shared
  `_INBOX.>` one user could listen to another's replies, which carry messages.

This table is the one place a new consumer is declared; `e2e/tests/test_bus_permissions.py`
checks that every durable a service runs is in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

API = "$JS.API"


@dataclass(frozen=True)
class Durable:
    """A durable pull consumer: its stream, its name, its one filter subject."""

    stream: str
    name: str
    subject: str


@dataclass(frozen=True)
class BusUser:
    name: str
    publish: tuple[str, ...]
    subscribe: tuple[str, ...] = ()
    durables: tuple[Durable, ...] = ()
    # LEAFNODE for a border post's leaf node; STANDARD for clients.
    connection_types: tuple[str, ...] = ("STANDARD",)
    description: str = ""

    @property
    def inbox_prefix(self) -> str:
        return inbox_prefix(self.name)

    def allowed_publish(self) -> list[str]:
        subjects = list(self.publish)
        for d in self.durables:
            subjects += [
                f"{API}.CONSUMER.CREATE.{d.stream}.{d.name}.{d.subject}",
                f"{API}.CONSUMER.INFO.{d.stream}.{d.name}",
                f"{API}.CONSUMER.MSG.NEXT.{d.stream}.{d.name}",
                f"$JS.ACK.{d.stream}.{d.name}.>",
                f"deadletter.{d.name}",
            ]
        return _unique(subjects)

    def allowed_subscribe(self) -> list[str]:
        return _unique([f"{self.inbox_prefix}.>", *self.subscribe])


def inbox_prefix(user: str) -> str:
    return f"_INBOX_{user}"


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# The service → subject context of ARCHITECTURE: `child_protection` publishes `child.*`.
CONTEXTS = {
    "repatriation": "repatriation",
    "child_protection": "child",
    "reserve_fund": "fund",
    "consular": "consular",
}

# What each service consumes of the others' contexts. A durable's name starts with its
# service's name.
_CONSUMED: dict[str, tuple[Durable, ...]] = {
    "repatriation": (
        Durable(
            "CONSULAR", "repatriation-nationality-confirmed", "consular.nationality.confirmed.v1"
        ),
        Durable(
            "CONSULAR", "repatriation-nationality-rejected", "consular.nationality.rejected.v1"
        ),
    ),
    "child_protection": (),
    "reserve_fund": tuple(
        Durable("CHILD", f"reserve-fund-{name}", f"child.case.{event}.v1")
        for name, event in [
            ("child-case-opened", "opened"),
            ("child-case-determined", "determined"),
            ("child-block-set", "consular_block_set"),
            ("child-block-cleared", "consular_block_cleared"),
            ("child-case-closed", "closed"),
        ]
    ),
    "consular": (
        Durable(
            "REPATRIATION", "consular-manifest-submitted", "repatriation.manifest.submitted.v1"
        ),
        Durable("REPATRIATION", "consular-manifest-amended", "repatriation.manifest.amended.v1"),
        Durable(
            "REPATRIATION", "consular-manifest-cancelled", "repatriation.manifest.cancelled.v1"
        ),
        Durable("CHILD", "consular-child-case-opened", "child.case.opened.v1"),
        Durable("CHILD", "consular-child-block-cleared", "child.case.consular_block_cleared.v1"),
        Durable("CHILD", "consular-child-block-set", "child.case.consular_block_set.v1"),
        Durable("CHILD", "consular-child-consular-notice", "child.case.consular_notice.v1"),
        Durable("FUND", "consular-fund-approved", "fund.application.approved.v1"),
        Durable("FUND", "consular-fund-cancelled", "fund.application.cancelled.v1"),
        Durable(
            "REPATRIATION",
            "consular-returnee-protection-need",
            "repatriation.returnee.protection_need_recorded.v1",
        ),
    ),
}


def _audit_checkpoints(service: str) -> Durable:
    """Every service keeps the other services' signed audit checkpoints (audit_anchor's
    `durable_name`, `ALL_CHECKPOINTS`)."""
    return Durable("AUDIT", f"{service.replace('_', '-')}-audit-checkpoints", "audit.>")


# Every durable of every service.
DURABLES = {s: (*consumed, _audit_checkpoints(s)) for s, consumed in _CONSUMED.items()}


def service_user(service: str) -> BusUser:
    context = CONTEXTS[service]
    return BusUser(
        name=service,
        publish=(
            f"{context}.>",
            f"audit.{context}.>",
            # Metadata of the streams (a start waits for its own; no message in it).
            f"{API}.STREAM.INFO.*",
            # The last checkpoint of its own on AUDIT, read by GET /v1/audit/verification
            # outside its database (audit_anchor.bus_checkpoint; checkpoints name no person).
            f"{API}.STREAM.MSG.GET.AUDIT",
        ),
        durables=DURABLES[service],
        description=f"the {service} service: publishes {context}.>, reads its durables",
    )


def post_subject_token(border_post: str) -> str:
    """`GT-TECUN-UMAN` → `gt-tecun-uman`: a border post's token in subjects and user names."""
    token = border_post.strip().lower()
    if not token or any(c in token for c in ".*> \t\r\n"):
        raise ValueError(f"not a border post id usable in a subject: {border_post!r}")
    return token


def post_user(border_post: str) -> BusUser:
    """A border post's leaf node: what it may publish is exported to the hub, what it may
    subscribe to is imported from it — its own post's subjects and nothing else."""
    token = post_subject_token(border_post)
    own = f"post.{token}.>"
    return BusUser(
        name=f"post-{token}",
        publish=(own,),
        subscribe=(own,),
        connection_types=("LEAFNODE",),
        description=f"border post {border_post}'s leaf node: post.{token}.> only",
    )


OPS = BusUser(
    name="ops",
    # Read-only and metadata only: stream and consumer state (lag, redeliveries, sizes),
    # never a message — the messages carry personal data.
    publish=(
        f"{API}.INFO",
        f"{API}.STREAM.NAMES",
        f"{API}.STREAM.LIST",
        f"{API}.STREAM.INFO.*",
        f"{API}.CONSUMER.NAMES.*",
        f"{API}.CONSUMER.LIST.*",
        f"{API}.CONSUMER.INFO.*.*",
    ),
    description="operators: stream and consumer state, no message contents",
)

DEADLETTER_DESK = BusUser(
    name="deadletter",
    # Whoever looks into a parked message reads what it carried, and removes it when done;
    # they cannot publish anything a service would consume.
    publish=(
        f"{API}.STREAM.INFO.DEADLETTER",
        f"{API}.STREAM.MSG.GET.DEADLETTER",
        f"{API}.STREAM.MSG.DELETE.DEADLETTER",
        f"{API}.CONSUMER.CREATE.DEADLETTER.>",
        f"{API}.CONSUMER.INFO.DEADLETTER.*",
        f"{API}.CONSUMER.DELETE.DEADLETTER.*",
        f"{API}.CONSUMER.MSG.NEXT.DEADLETTER.*",
        "$JS.ACK.DEADLETTER.>",
    ),
    description="the dead-letter desk: reads and removes parked messages",
)

PROVISIONER = BusUser(
    name="provisioner",
    # Creates and updates the streams (the devstack, the deployment's job); no messages.
    publish=(
        f"{API}.INFO",
        f"{API}.STREAM.NAMES",
        f"{API}.STREAM.INFO.*",
        f"{API}.STREAM.CREATE.*",
        f"{API}.STREAM.UPDATE.*",
    ),
    description="declares the streams at deployment",
)

# DEV-ONLY: the local stack's test harness publishes any context's events to exercise the
# consumers, and reads every stream to check them. Never generated for a deployment.
DEV_ADMIN = BusUser(
    name="devadmin",
    publish=(">",),
    subscribe=(">",),
    description="DEV-ONLY test harness: everything",
)


@dataclass(frozen=True)
class BusUsers:
    users: list[BusUser] = field(default_factory=list)

    def named(self, name: str) -> BusUser:
        return next(u for u in self.users if u.name == name)


def bus_users(border_posts: list[str], *, dev: bool) -> BusUsers:
    users = [service_user(s) for s in CONTEXTS]
    users += [post_user(p) for p in border_posts]
    users += [OPS, DEADLETTER_DESK, PROVISIONER]
    if dev:
        users.append(DEV_ADMIN)
    return BusUsers(users)


def publisher_of(subject: str) -> str | None:
    """The service whose user alone may publish `subject` (None: no service's). A consumer
    checks an event's `source` against it: the server already refuses anyone else's
    publication there; checking again keeps a mis-set permission from becoming a forgery."""
    tokens = subject.split(".")
    context = tokens[1] if tokens[0] == "audit" and len(tokens) > 1 else tokens[0]
    return next((s for s, c in CONTEXTS.items() if c == context), None)


def undeclared(service: str, durables: list[Durable]) -> list[Durable]:
    """The durables a service would run that its bus user is not granted: a worker refuses
    to start with any (the server would refuse them one by one, in a log nobody reads)."""
    granted = set(DURABLES.get(service, ()))
    return [d for d in durables if d not in granted]
