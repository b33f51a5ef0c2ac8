"""One handler per use case. Each opens the unit of work, loads what it needs, lets the domain
decide, and commits once (state + outbox + audit, and the inbox row for a consumed event).

Who acts is the unit of work's (`uow.principal` for a request, the consumer's or the job's name
otherwise), given once when it was made. Access (`access.py`): a record the actor may not see
is `NotVisible` (404, nothing leaks), then one they may not act on `NotAllowed` (403), before
state and input. Both are decided on the plain row (`peek`) before the row is locked — a caller
who may not see a record takes no lock on it — and again on the locked row (it may have been
withdrawn meanwhile); the domain re-checks its own rules inside the transaction.

A consumed event is applied in a unit of work the consumer made and marked with its inbox
tracking (`uow.track`), so a redelivered or replayed event changes nothing.

Withdrawals (a protection need found later, a removal, a cancellation) are also recorded in
`withdrawal` by the key of the record they concern, so that a record whose event is consumed
after the withdrawal (the consumers run apart) is made withdrawn.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from consular.adapters.email import Mailer, render
from consular.adapters.integration import (
    ChildCaseBlock,
    ChildCaseTrigger,
    FundReturnCancellation,
    FundReturnTrigger,
    ManifestCancellation,
    ManifestTrigger,
    ReturneesProtected,
)
from consular.domain.commands import (
    AcknowledgeNotification,
    CheckOverdue,
    DecideVerification,
    NotifyChildCase,
    NotifyFundReturn,
    NotifyRepatriation,
    NotifyRepatriationCancelled,
    RecordConsularAction,
    ReportNotification,
    RequestVerification,
)
from consular.domain.errors import ConsularError
from consular.domain.model import ManifestSummary, NationalityVerification, Notification
from consular.domain.rules import NotificationKind
from consular.domain.states import Channel, NotificationStatus, WithdrawalReason
from consular.domain.triggers import (
    CHILD_PROTECTION,
    REPATRIATION,
    child_case_key,
    child_case_prefix,
    fund_return_key,
    known_at,
    notify_on_child_case,
    notify_on_fund_approval,
    notify_on_repatriation,
    notify_on_repatriation_cancelled,
    notify_on_report,
    repatriation_cancellation_key,
    repatriation_notice_key,
    request_verification,
)
from consular.domain.values import Actor, Place, Related
from consular.service_layer import access
from consular.service_layer.unit_of_work import ConsularUnitOfWork
from puebla.db.audit import AuditRecord
from puebla.ids import new_id
from puebla.observability import get_logger
from puebla.refusals import Refused

log = get_logger(__name__)

UnitOfWorkFactory = Callable[[], ConsularUnitOfWork]


class AccessLabelExceeded(Refused):
    """An incoming event's `access` label does not cover the countries a derived record would
    be shown to; the consumer refuses to widen what the producer allowed."""

    kind = "conflict"
    default_rule = "access_label"


def _deliver_in_app(notification: Notification, now: datetime) -> None:
    # The inbox is the API itself: a sendable notification is delivered there by being
    # committed, and that counts as sent (DOMAIN.md §4 "Record": channel and sent time).
    if notification.status is NotificationStatus.PENDING:
        notification.delivery_attempted(Channel.IN_APP, True, None, now)


# --- reports over HTTP -------------------------------------------------------------------------


async def report_notification(cmd: ReportNotification, uow: ConsularUnitOfWork) -> list[uuid.UUID]:
    reporter = access.actor_of(uow.principal)
    async with uow:
        now = uow.clock()
        reference = await uow.reference.load()
        notifications = notify_on_report(cmd, reporter, reference, new_id, now)
        for n in notifications:
            _deliver_in_app(n, now)
            uow.notifications.add(
                n, access=[n.host_country, n.nationality], reported_by=reporter.username
            )
        await uow.commit()
        return [n.id for n in notifications]


async def _locked_for_consul(
    uow: ConsularUnitOfWork, notification_id: uuid.UUID, by: Actor
) -> Notification:
    """The notification locked for a change by a consul `by`: access is decided on the plain
    row first (no lock taken on what the caller may not see), then again under the lock (it
    may have been withdrawn meanwhile)."""
    access.consul_may_act(await uow.notifications.peek(notification_id), by)
    return access.consul_may_act(await uow.notifications.get(notification_id, for_update=True), by)


async def acknowledge_notification(cmd: AcknowledgeNotification, uow: ConsularUnitOfWork) -> None:
    by = access.actor_of(uow.principal)
    async with uow:
        n = await _locked_for_consul(uow, cmd.notification_id, by)
        n.acknowledge(by, uow.clock())
        await uow.commit()


async def record_consular_action(cmd: RecordConsularAction, uow: ConsularUnitOfWork) -> None:
    """The action, its audit entry (`notification.consular_action_recorded`) and the
    notification's new version in one transaction. No outbox event: no other service consumes
    one."""
    by = access.actor_of(uow.principal)
    async with uow:
        n = await _locked_for_consul(uow, cmd.notification_id, by)
        n.record_consular_action(by, cmd.kind, cmd.at, uow.clock(), cmd.notes)
        await uow.commit()


async def decide_verification(cmd: DecideVerification, uow: ConsularUnitOfWork) -> None:
    by = access.actor_of(uow.principal)
    async with uow:
        access.consul_may_decide(await uow.verifications.peek(cmd.verification_id), by)
        v = access.consul_may_decide(
            await uow.verifications.get(cmd.verification_id, for_update=True), by
        )
        v.decide(by, cmd.decision, cmd.reason, uow.clock())
        await uow.commit()


# --- events from repatriation -------------------------------------------------------------------


def _trigger_time(at: datetime, now: datetime) -> datetime:
    """The trigger's time as this service takes it (`triggers.known_at`), said in the log when
    the producer's clock ran ahead."""
    known = known_at(at, now)
    if known != at:
        log.warning("event.time_ahead", event_time=at.isoformat(), now=now.isoformat())
    return known


def _check_label(label: tuple[str, ...], *countries: str) -> None:
    missing = sorted(set(countries) - set(label))
    if missing:
        raise AccessLabelExceeded(f"the event's access label {list(label)} omits {missing}")


async def notify_manifest(trigger: ManifestTrigger, uow: ConsularUnitOfWork) -> None:
    """A submitted or amended manifest: one `repatriation_notice` to the receiving country's
    post, and a nationality verification request per (added) returnee. Replays find what the
    first delivery made (`source_key`) and change nothing."""
    async with uow:
        now = uow.clock()
        _check_label(trigger.access, trigger.sending_country, trigger.receiving_country)
        at = _trigger_time(trigger.at, now)
        prefix = f"{REPATRIATION}:{trigger.manifest_id}:"
        for removed in trigger.removed:
            # An ordinary removal: the request is withdrawn, visibly to the consul (the reason
            # text stays with the sending state).
            related = Related(REPATRIATION, trigger.manifest_id, removed)
            key = NationalityVerification.key_for(related)
            reason = await uow.withdrawals.record(
                key, WithdrawalReason.REMOVED, trigger.version, at
            )
            found = await uow.verifications.by_source_key(key, for_update=True)
            if found is not None:
                found.withdraw(reason, now)
        withdrawn = await uow.withdrawals.under(prefix)
        key = repatriation_notice_key(trigger.manifest_id, trigger.version)
        if not await uow.notifications.has_key(key):
            counted, count = await _counted(uow, trigger, withdrawn)
            reference = await uow.reference.load()
            on = at.astimezone(reference.zone_of(trigger.sending_country)).date()
            departure = await uow.reference.departure(
                trigger.reception_point, trigger.sending_country, on
            )
            notice = notify_on_repatriation(
                NotifyRepatriation(
                    manifest_id=trigger.manifest_id,
                    manifest_reference=trigger.reference,
                    manifest_version=trigger.version,
                    sending_country=trigger.sending_country,
                    receiving_country=trigger.receiving_country,
                    departure=departure,
                    reception_point=trigger.reception_point,
                    scheduled_arrival=trigger.scheduled_arrival,
                    returnee_count=count,
                    notified_at=at,
                ),
                reference,
                new_id(),
                now,
            )
            if notice.manifest is not None:
                notice.manifest = dataclasses.replace(notice.manifest, returnee_ids=counted)
            _deliver_in_app(notice, now)
            uow.notifications.add(notice, access=trigger.access)
        claims = []
        for claim in trigger.returnees:
            related = Related(REPATRIATION, trigger.manifest_id, claim.subject_id)
            claims.append((claim, related, NationalityVerification.key_for(related)))
        # One read for the whole manifest: whose request a first delivery already made.
        asked = await uow.verifications.existing([source_key for _, _, source_key in claims])
        for claim, related, source_key in claims:
            if source_key in asked:
                continue
            try:
                _check_label(trigger.access, claim.nationality)
                verification = request_verification(
                    RequestVerification(
                        person=claim.person,
                        claimed_nationality=claim.nationality,
                        host_country=trigger.sending_country,
                        related=related,
                        requested_at=at,
                    ),
                    new_id(),
                )
            except (ConsularError, Refused) as exc:
                # One returnee's request refused (e.g. a claimed host nationality, or a
                # nationality outside the label) must not hold back the notice and the others.
                uow.record(
                    AuditRecord(
                        uow.actor_name,
                        "verification.not_requested",
                        "manifest",
                        trigger.manifest_id,
                        {"returnee_id": claim.subject_id, "rule": exc.rule},
                    )
                )
                log.warning(
                    "verification.not_requested",
                    manifest_id=trigger.manifest_id,
                    returnee_id=claim.subject_id,
                    rule=exc.rule,
                )
                continue
            uow.verifications.add(verification, access=trigger.access)
            # Taken back before this event reached us (a removal, a cancellation, a protection
            # need): made withdrawn at once.
            earlier = withdrawn.get(verification.source_key) or withdrawn.get(prefix + "cancelled")
            if earlier is not None:
                verification.withdraw(earlier[0], now)
                if earlier[0] is WithdrawalReason.PROTECTION:
                    uow.verifications.relabel(verification.id, [trigger.sending_country])
        await uow.commit()


async def _counted(
    uow: ConsularUnitOfWork,
    trigger: ManifestTrigger,
    withdrawn: dict[str, tuple[WithdrawalReason, int]],
) -> tuple[frozenset[str] | None, int]:
    """Whom a new manifest notice counts, and how many: a submission counts its returnees; an
    amendment its predecessor's (the latest earlier notice) plus the added, minus the removed
    (unknown without a predecessor). People taken off for a protection need at a later
    version (an event consumed before this one) are not counted."""
    if trigger.returnee_ids is not None:
        counted: frozenset[str] | None = trigger.returnee_ids
    else:
        earlier = [
            n.manifest
            for n in await uow.notifications.for_related(
                REPATRIATION, trigger.manifest_id, NotificationKind.REPATRIATION_NOTICE
            )
            if n.manifest is not None and n.manifest.version < trigger.version
        ]
        latest = max(earlier, key=lambda m: m.version, default=None)
        if latest is None or latest.returnee_ids is None:
            counted = None
        else:
            added = frozenset(c.subject_id for c in trigger.returnees)
            counted = (latest.returnee_ids | added) - frozenset(trigger.removed)
    prefix = f"{REPATRIATION}:{trigger.manifest_id}:"
    later = frozenset(
        key.removeprefix(prefix)
        for key, (reason, version) in withdrawn.items()
        if reason is WithdrawalReason.PROTECTION and version > trigger.version
    )
    summary = ManifestSummary(
        reference=trigger.reference,
        version=trigger.version,
        reception_point=trigger.reception_point,
        scheduled_arrival=trigger.scheduled_arrival,
        returnee_count=trigger.returnee_count,
        returnee_ids=counted,
    ).without(later, None)
    return summary.returnee_ids, summary.returnee_count


async def notify_manifest_cancelled(
    cancellation: ManifestCancellation, uow: ConsularUnitOfWork
) -> None:
    """A cancelled manifest the consulate had heard of (submitted or dispatched) gets a
    `repatriation_cancellation` notice; a cancelled draft was never announced."""
    async with uow:
        now = uow.clock()
        c = cancellation
        at = _trigger_time(c.at, now)
        # The pending requests are withdrawn (the consul sees them withdrawn); one consumed
        # later is made withdrawn (`notify_manifest`).
        await uow.withdrawals.record(
            f"{REPATRIATION}:{c.manifest_id}:cancelled", WithdrawalReason.CANCELLED, c.version, at
        )
        for v in await uow.verifications.for_related(REPATRIATION, c.manifest_id, for_update=True):
            v.withdraw(WithdrawalReason.CANCELLED, now)
        key = repatriation_cancellation_key(c.manifest_id)
        announced = c.previous_status != "draft"
        if announced and await uow.notifications.by_source_key(key) is None:
            _check_label(c.access, c.sending_country, c.receiving_country)
            reference = await uow.reference.load()
            on = at.astimezone(reference.zone_of(c.sending_country)).date()
            departure = await uow.reference.departure(c.reception_point, c.sending_country, on)
            notice = notify_on_repatriation_cancelled(
                NotifyRepatriationCancelled(
                    manifest_id=c.manifest_id,
                    manifest_reference=c.reference,
                    manifest_version=c.version,
                    sending_country=c.sending_country,
                    receiving_country=c.receiving_country,
                    departure=departure,
                    reception_point=c.reception_point,
                    cancelled_at=at,
                ),
                reference,
                new_id(),
                now,
            )
            _deliver_in_app(notice, now)
            uow.notifications.add(notice, access=c.access)
        await uow.commit()


# --- events from child_protection ------------------------------------------------------------


async def notify_child_case(trigger: ChildCaseTrigger, uow: ConsularUnitOfWork) -> None:
    """A child case's `child_case` notice. `child.case.consular_notice.v1` (the consulate may
    be told now, and who the child is) makes it and sends it — at the opening of a case that is
    not blocked, or at the clearing of its block, when it sends the notice held back since the
    opening (filling in who and where), its clocks counting from the clearing, and a Fund
    notice about the child withdrawn for the block. `child.case.opened.v1` of a blocked case
    records the notice held back (host side only, like the event's label, and without the
    child's identity, which the host keeps); of an unblocked case it changes nothing (the
    consular notice beside it does). `child.case.consular_block_cleared.v1` records the
    clearing and releases the Fund notices; the child's own notice waits for who the child is.
    The events arrive on separate consumers in any order: a consular notice that comes first
    makes the notice, and the opening then finds it. A clearing that does not allow contact
    (`notify_consulate` false; the contract says never) releases nothing: its label need not
    include the nationality, and the consumer never widens what the producer allowed. An event
    of an earlier producer that still carries the identity (a rolling deployment) is handled
    as one that comes with its consular notice."""
    async with uow:
        now = uow.clock()
        t = trigger
        host = t.place.country
        key = child_case_key(t.case_id, t.nationality)
        await uow.withdrawals.serialize_on(child_case_prefix(t.case_id))
        existing = await uow.notifications.by_source_key(key, for_update=True)
        if t.notify:
            _check_label(t.access, host, t.nationality)
        else:
            _check_label(t.access, host)
        # A block set after the consulate was told (`child.case.consular_block_set.v1`) and a
        # clearing are ordered by the case's version, whatever order they are consumed in.
        if t.cleared:
            blocked = await uow.withdrawals.record_block(
                key, blocked=False, version=t.version, at=_trigger_time(t.at, now)
            )
        else:
            blocked = await uow.withdrawals.reason(key) is WithdrawalReason.PROTECTION
        if existing is None and (t.child is not None or not t.notify):
            reference = await uow.reference.load()
            (notice,) = notify_on_child_case(
                NotifyChildCase(
                    case_id=t.case_id,
                    child=t.child,
                    nationalities=(t.nationality,),
                    place=t.place,
                    opened_at=_trigger_time(t.at, now),
                    # The child service folds the protection need and an uncleared trafficking
                    # indicator into `notify_consulate`; both are lifted by a supervisor.
                    protection_need=False,
                    blocked_for_consulate=not t.notify,
                ),
                reference,
                new_id,
                now,
            )
            uow.notifications.add(notice, access=t.access)
            if blocked:  # blocked meanwhile: never delivered
                notice.withdraw(WithdrawalReason.PROTECTION, now)
                uow.notifications.relabel(notice.id, [host])
            _deliver_in_app(notice, now)
        elif (
            existing is not None
            and t.cleared
            and t.notify
            and not blocked
            and existing.status in _HELD_BACK
            # A notice held back without the child's identity waits for the consular notice.
            and (t.child is not None or existing.person is not None)
        ):
            existing.release(
                await uow.reference.load(),
                now,
                person=t.child,
                place=t.place if t.child is not None else None,
            )
            _deliver_in_app(existing, now)
            uow.notifications.relabel(existing.id, t.access)
        if t.cleared and t.notify and not await _case_blocked(uow, t.case_id):
            await _release_about_child(uow, t.case_id, now)
        await uow.commit()


async def _case_blocked(uow: ConsularUnitOfWork, case_id: str) -> bool:
    """Whether a block is in force on the child's case (for any nationality of the child)."""
    blocks = await uow.withdrawals.under(child_case_prefix(case_id))
    return any(reason is WithdrawalReason.PROTECTION for reason, _ in blocks.values())


def _hide_from_childs_state(uow: ConsularUnitOfWork, notice: Notification, now: datetime) -> None:
    """A notice about a child whose case is blocked ceases to exist for the child's state: its
    nationality leaves the record's label, which is otherwise the producer's (a Fund notice's
    is IOM and the nationality, never the host: the block does not widen it)."""
    notice.withdraw(WithdrawalReason.PROTECTION, now)
    label = uow.notifications.access_of(notice.id)
    uow.notifications.relabel(notice.id, [c for c in label if c != notice.nationality])


async def _release_about_child(uow: ConsularUnitOfWork, case_id: str, now: datetime) -> None:
    """The block on the child's case is lifted: a Fund notice withdrawn only for it goes out
    again, as the case's own notice does; one whose return was cancelled stays withdrawn."""
    reference = None
    for notice in await uow.notifications.about_child_case(case_id, for_update=True):
        if notice.withdrawn_reason is not WithdrawalReason.PROTECTION:
            continue
        if notice.source_key and await uow.withdrawals.reason(notice.source_key) is not None:
            continue  # cancelled meanwhile: nothing to send
        reference = reference or await uow.reference.load()
        notice.release(reference, now)
        _deliver_in_app(notice, now)
        label = uow.notifications.access_of(notice.id)
        uow.notifications.relabel(notice.id, [*label, notice.nationality])


# What a cleared block sends: a notice held back since the opening, or one withdrawn when the
# block was set later (`Notification.release` tells which it may lift).
_HELD_BACK = (NotificationStatus.SUPPRESSED, NotificationStatus.WITHDRAWN)


async def withdraw_child_case(block: ChildCaseBlock, uow: ConsularUnitOfWork) -> None:
    """`child.case.consular_block_set.v1`: a protection need or a trafficking indicator found
    on a case the consulate may already know of. For the child's nationality the case's
    notices and verification requests cease to exist (404, absent from lists); their clocks
    stop and no further e-mail goes out; the host side and the auditor see them withdrawn
    (protection). The event's label is the host alone, and so become the records'. A Fund
    return approved for the child (its notice names the case) is withdrawn likewise, in
    either consumption order (`notify_fund_return` looks for the block)."""
    async with uow:
        now = uow.clock()
        b = block
        _check_label(b.access, b.host_country)
        key = child_case_key(b.case_id, b.nationality)
        at = _trigger_time(b.at, now)
        await uow.withdrawals.serialize_on(child_case_prefix(b.case_id))
        if await uow.withdrawals.record_block(key, blocked=True, version=b.version, at=at):
            notice = await uow.notifications.by_source_key(key, for_update=True)
            if notice is not None:
                notice.withdraw(WithdrawalReason.PROTECTION, now)
                uow.notifications.relabel(notice.id, [b.host_country])
            # What the child's state was told about the child under another record (a Fund
            # return approved before the block): whatever its nationality says, it is the
            # same child, and the block hides them from their state.
            for other in await uow.notifications.about_child_case(b.case_id, for_update=True):
                _hide_from_childs_state(uow, other, now)
            for v in await uow.verifications.for_related(
                CHILD_PROTECTION, b.case_id, for_update=True
            ):
                if v.claimed_nationality == b.nationality:
                    v.withdraw(WithdrawalReason.PROTECTION, now)
                    uow.verifications.relabel(v.id, [b.host_country])
        await uow.commit()


# --- events from reserve_fund -----------------------------------------------------------------


async def notify_fund_return(trigger: FundReturnTrigger, uow: ConsularUnitOfWork) -> None:
    """`fund.application.approved.v1`: tell the beneficiary's consulate (in the country where
    the person is) that IOM approved an assisted return. For a child the notice keeps the
    child's case: a block on it, consumed before or after, hides the notice from the child's
    state, and its clearing sends it again (`notify_child_case`)."""
    async with uow:
        now = uow.clock()
        t = trigger
        key = fund_return_key(t.application_id)
        if t.child_case_id is not None:
            await uow.withdrawals.serialize_on(child_case_prefix(t.child_case_id))
        if await uow.notifications.by_source_key(key) is None:
            # The Fund's label is IOM, the requesting country and the nationality: the host
            # country is not on it, and the notice is shown to the consulate and IOM only.
            _check_label(t.access, t.nationality)
            notice = notify_on_fund_approval(
                NotifyFundReturn(
                    application_id=t.application_id,
                    beneficiary=t.beneficiary,
                    nationality=t.nationality,
                    place=Place(t.current_country),
                    approved_at=_trigger_time(t.approved_at, now),
                    child_case_id=t.child_case_id,
                ),
                await uow.reference.load(),
                new_id(),
                now,
            )
            uow.notifications.add(notice, access=t.access)
            cancelled = await uow.withdrawals.reason(key)
            if cancelled is not None:  # cancelled before this approval reached us
                notice.withdraw(cancelled, now)
            if t.child_case_id is not None and await _case_blocked(uow, t.child_case_id):
                # The child's case was blocked before this approval reached us: never delivered.
                _hide_from_childs_state(uow, notice, now)
            _deliver_in_app(notice, now)
        await uow.commit()


async def withdraw_fund_return(
    cancellation: FundReturnCancellation, uow: ConsularUnitOfWork
) -> None:
    """`fund.application.cancelled.v1`: the approved return is off; its notice is withdrawn
    (the consulate sees it withdrawn, its clocks stop, no further e-mail goes out)."""
    async with uow:
        now = uow.clock()
        c = cancellation
        key = fund_return_key(c.application_id)
        at = _trigger_time(c.at, now)
        reason = await uow.withdrawals.record(key, WithdrawalReason.CANCELLED, c.version, at)
        notice = await uow.notifications.by_source_key(key, for_update=True)
        if notice is not None:
            notice.withdraw(reason, now)
        await uow.commit()


# --- protection needs found on a manifest -----------------------------------------------------


async def withdraw_returnees(protected: ReturneesProtected, uow: ConsularUnitOfWork) -> None:
    """`repatriation.returnee.protection_need_recorded.v1` (labelled for the sending country
    alone): these returnees' verification requests are withdrawn for their claimed nationality
    (404 to its consuls, absent from lists) and relabelled for the sending country; the
    manifest's notices no longer count them. The receiving side learns nothing else: no new
    notice, no event."""
    async with uow:
        now = uow.clock()
        p = protected
        _check_label(p.access, p.sending_country)
        at = _trigger_time(p.at, now)
        for returnee_id in p.returnee_ids:
            related = Related(REPATRIATION, p.manifest_id, returnee_id)
            key = NationalityVerification.key_for(related)
            await uow.withdrawals.record(key, WithdrawalReason.PROTECTION, p.version, at)
            found = await uow.verifications.by_source_key(key, for_update=True)
            if found is not None:
                found.withdraw(WithdrawalReason.PROTECTION, now)
                uow.verifications.relabel(found.id, [p.sending_country])
        notices = await uow.notifications.for_related(
            REPATRIATION, p.manifest_id, NotificationKind.REPATRIATION_NOTICE, for_update=True
        )
        earlier = [n for n in notices if n.manifest and n.manifest.version < p.version]
        latest = max(earlier, key=lambda n: n.manifest.version if n.manifest else 0, default=None)
        for n in earlier:
            # Whom a notice counted is known unless it was made from an amendment whose
            # predecessor never reached us; then the latest one takes the producer's count.
            n.forget_returnees(
                frozenset(p.returnee_ids),
                as_of_version=p.version,
                fallback_count=p.returnee_count if n is latest else None,
            )
        await uow.commit()


# --- no notice is ever dropped ----------------------------------------------------------------


async def route_unroutable(new_uow: UnitOfWorkFactory, *, batch: int = 200) -> int:
    """Routes every unroutable notification the directory now has a post for (the worker runs
    it on every tick, so a row added to `consular_post` takes effect within one); delivered in
    the app at once, by e-mail by the mailer. Returns how many were routed."""
    routed = 0
    after: uuid.UUID | None = None
    while True:
        uow = new_uow()
        async with uow:
            now = uow.clock()
            found = await uow.notifications.unroutable(after=after, limit=batch)
            if found:
                reference = await uow.reference.load()
                for n in found:
                    if n.reroute(reference, now):
                        _deliver_in_app(n, now)
                        routed += 1
            await uow.commit()
        if len(found) < batch:
            return routed
        after = found[-1].id


# --- the clocks -------------------------------------------------------------------------------


async def check_overdue(cmd: CheckOverdue, new_uow: UnitOfWorkFactory, *, batch: int = 200) -> int:
    """Marks every pending notification past a deadline at `cmd.now` overdue and escalates it
    (`consular.notification.overdue.v1`), once: an escalated or acknowledged one is never
    picked again. Runs in batches of `batch`, each its own transaction; returns how many."""
    escalated = 0
    after: uuid.UUID | None = None
    while True:
        uow = new_uow()
        async with uow:
            found = await uow.notifications.clock_running_past(cmd.now, after=after, limit=batch)
            for n in found:
                n.check_overdue(cmd.now)
            await uow.commit()
        escalated += sum(1 for n in found if n.escalated)
        if len(found) < batch:
            return escalated
        after = found[-1].id


# --- e-mail delivery --------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    base: timedelta = timedelta(seconds=5)
    ceiling: timedelta = timedelta(minutes=5)

    def delay(self, attempts: int) -> timedelta:
        delay: timedelta = self.base * (2 ** max(attempts - 1, 0))
        return min(delay, self.ceiling)


@dataclass(frozen=True)
class DeliveryRound:
    sent: int = 0
    failed: int = 0


async def deliver_emails(
    new_uow: UnitOfWorkFactory,
    mailer: Mailer,
    *,
    sender: str,
    retry: RetryPolicy,
    limit: int = 50,
) -> DeliveryRound:
    """Sends the e-mails that are due, one notification per transaction (its row locked while
    the message goes out, so two workers never send the same notice at once). A failure is
    recorded on the delivery with the next try's time, and ends the round: the server is
    probably away, and the rest wait for the next round rather than hammer it. Nothing is ever
    dropped; a message sent but not recorded (crash) is sent again with the same Message-ID."""
    sent = failed = 0
    for _ in range(limit):
        uow = new_uow()
        async with uow:
            now = uow.clock()
            n = await uow.notifications.next_email_due(now)
            if n is None:
                break
            message = render(n, reference=uow.notifications.reference_of(n.id), sender=sender)
            try:
                await mailer.send(message)
                error = None
            except Exception as exc:  # any SMTP or network failure: retried later
                error = f"{type(exc).__name__}: {exc}"[:500]
            n.delivery_attempted(Channel.EMAIL, error is None, error, now)
            if error is not None:
                delivery = n.delivery(Channel.EMAIL)
                attempts = delivery.attempts if delivery else 1
                uow.notifications.retry_at(n.id, Channel.EMAIL, now + retry.delay(attempts))
            await uow.commit()
        if error is None:
            sent += 1
            log.info("email.sent", notification_id=str(n.id), post=n.consular_post)
        else:
            failed += 1
            log.warning("email.failed", notification_id=str(n.id), error=error)
            break
    return DeliveryRound(sent, failed)
