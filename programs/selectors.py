"""Reads of programmes, scoped to the user."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from functools import partial

from django.db.models import CharField, Count, Q, QuerySet
from django.db.models.functions import Cast, TruncMonth
from django.utils.translation import gettext_lazy as _

from families.models import EmploymentStatus, Enrollment, EnrollmentStatus, ReferralSource
from payments.models import PaymentStatement, StatementStatus
from sibcase.aggregate_cache import cached_aggregate
from sibcase.models import AuditEvent, Role, User

from .models import (
    BackdatingRequest,
    BackdatingStatus,
    EligibilityRule,
    EnrollmentRefusal,
    NeedCategory,
    Programme,
    RuleKind,
)


def programmes_for_user(user: User) -> QuerySet[Programme]:
    """Programmes a user works with: a social worker's municipality's, a coordinator's own, all for admins."""
    programmes = Programme.objects.select_related("municipality")
    if user.is_superuser or user.role in (Role.ADMIN, Role.EVALUATOR, Role.FUND_MANAGER):
        return programmes.all()
    if user.role == Role.SOCIAL_WORKER:
        return programmes.filter(municipality_id=user.municipality_id)
    if user.role == Role.COORDINATOR:
        return programmes.filter(coordinators=user)
    if user.role == Role.PROVIDER_WORKER:
        return programmes.filter(services__provider_id=user.provider_id).distinct()
    return programmes.none()


def programme_get_for_user(*, user: User, pk: int) -> Programme:
    """A programme the user coordinates (admins: any), or 404."""
    from django.http import Http404

    programmes = Programme.objects.select_related("municipality", "fund")
    if not (user.is_superuser or user.role == Role.ADMIN):
        programmes = programmes.filter(coordinators=user)
    try:
        return programmes.get(pk=pk)
    except (Programme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def coordinated_programmes(*, user: User) -> QuerySet[Programme]:
    programmes = Programme.objects.select_related("municipality")
    if user.is_superuser or user.role == Role.ADMIN:
        return programmes.all()
    return programmes.filter(coordinators=user)


@dataclass(frozen=True)
class ProgrammeOverview:
    counts: dict[str, int]
    capacity: int | None
    capacity_used: int
    enrollments_by_month: list[tuple[datetime.date, int]]
    refusals_by_code: list[tuple[str, int]]
    window_changes: list


def programme_overview(*, programme: Programme) -> ProgrammeOverview:
    """The programme page's figures; the enrollment counts from the shared cache, superseded on every change."""
    counts, by_month = cached_aggregate(
        scope=programme.pk, name="enrollments-by-status-and-month", compute=partial(_enrollment_counts, programme)
    )
    refusals = Counter(
        code
        for codes in EnrollmentRefusal.objects.filter(programme=programme).values_list("codes", flat=True)
        for code in codes
    )
    return ProgrammeOverview(
        counts={status: counts.get(status, 0) for status in EnrollmentStatus.values},
        capacity=programme.capacity,
        capacity_used=counts.get(EnrollmentStatus.ACTIVE, 0),
        enrollments_by_month=[(month, n) for month, n in by_month],
        refusals_by_code=refusals.most_common(),
        window_changes=list(programme.window_changes.select_related("changed_by")[:20]),
    )


def _enrollment_counts(programme: Programme) -> tuple[dict[str, int], list[tuple[datetime.date, int]]]:
    """Enrollments per status and per month enrolled, from one grouped query (a few rows per month)."""
    counts: Counter[str] = Counter()
    months: Counter[datetime.date] = Counter()
    for status, month, n in (
        Enrollment.objects.filter(programme=programme)
        .annotate(month=TruncMonth("enrolled_on"))
        .values_list("status", "month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[status] += n
        months[month] += n
    return dict(counts), sorted(months.items())


def cutoff_preview(*, programme: Programme, cutoff: datetime.date | None, today: datetime.date) -> dict[str, int]:
    """What a cutoff would do to the pending referrals: refused outright, or needing a backdating approval."""
    from families.models import Referral, ReferralStatus

    pending = Referral.objects.filter(programme=programme, status=ReferralStatus.PENDING)
    if cutoff is None:
        return {"pending": pending.count(), "refused": 0, "needs_approval": 0}
    totals = pending.aggregate(
        pending=Count("id"),
        refused=Count("id", filter=Q(referred_on__gte=cutoff)),
        before=Count("id", filter=Q(referred_on__lt=cutoff)),
    )
    # Referred before the cutoff: enrollable today only if the cutoff is still ahead; else only backdated.
    before = totals["before"]
    return {
        "pending": totals["pending"],
        "refused": totals["refused"],
        "needs_approval": before if cutoff <= today else 0,
    }


def pending_referrals(*, programme: Programme) -> QuerySet:
    from families.models import Referral, ReferralStatus

    return (
        Referral.objects.filter(programme=programme, status=ReferralStatus.PENDING)
        .select_related("family", "programme")
        .order_by("referred_on", "id")
    )


@dataclass(frozen=True)
class PreviewRow:
    """One pending referral and what the previewed cutoff would do to it."""

    referral_id: int
    family_id: int
    family_reference: str
    referred_on: datetime.date
    effect: str  # "refused", "needs_approval" or "unaffected"


def cutoff_preview_families(
    *, programme: Programme, cutoff: datetime.date | None, today: datetime.date
) -> list[PreviewRow]:
    """The pending referrals, each with the previewed cutoff's effect on it (the families behind cutoff_preview's
    counts). Families are shown by their pseudonymous reference only; the caller logs the read."""
    rows = []
    for referral in pending_referrals(programme=programme):
        if cutoff is None:
            effect = "unaffected"
        elif referral.referred_on >= cutoff:
            effect = "refused"
        elif cutoff <= today:
            effect = "needs_approval"
        else:
            effect = "unaffected"
        rows.append(
            PreviewRow(
                referral_id=referral.pk,
                family_id=referral.family_id,
                family_reference=referral.family.reference,
                referred_on=referral.referred_on,
                effect=effect,
            )
        )
    return rows


@dataclass(frozen=True)
class RuleHistoryRow:
    occurred_at: datetime.datetime
    actor: User | None
    event_type: str
    rule_id: int
    kind_label: str
    changes: list[tuple[str, str, str]]  # (field label, old, new) as the user reads them, changed fields only
    reason: str


def _rule_value_shown(name: str, value, categories: dict[int, str] | None = None) -> str:
    """An audited rule value as the user reads it: labels instead of codes, names instead of ids, – for nothing."""
    if value in (None, ""):
        return "–"
    if isinstance(value, bool):
        return str(_("kyllä") if value else _("ei"))
    if name == "kind":
        return str(RuleKind(value).label) if value in RuleKind.values else str(value)
    if name == "guardian_statuses":
        return ", ".join(str(EmploymentStatus(code).label) for code in str(value).split(",") if code)
    if name == "referral_sources":
        return ", ".join(str(ReferralSource(code).label) for code in str(value).split(",") if code)
    if name == "need_categories":
        names = categories if categories is not None else _category_names([value])
        ids = set(_category_ids(value))
        return ", ".join(shown for pk, shown in names.items() if pk in ids) or "–"  # in the categories' order
    return str(value)


def _category_ids(value) -> list[int]:
    return [int(pk) for pk in str(value or "").split(",") if pk]


def _category_names(values) -> dict[int, str]:
    """The need categories named in audited rule values, read in one query (none when no value names one)."""
    ids = {pk for value in values for pk in _category_ids(value)}
    if not ids:
        return {}
    return {category.pk: str(category.name) for category in NeedCategory.objects.filter(pk__in=ids)}


def eligibility_rule_history(*, programme: Programme, limit: int = 50) -> list[RuleHistoryRow]:
    """Every creation and change of the programme's eligibility rules, newest first, from the audit trail."""
    # The rules' ids as text (the audit's object_id), in the same query.
    rule_ids = (
        EligibilityRule.objects.filter(programme=programme)
        .order_by()
        .annotate(text_id=Cast("pk", CharField()))
        .values("text_id")
    )
    events = (
        AuditEvent.objects.filter(
            object_type=EligibilityRule._meta.label_lower,
            object_id__in=rule_ids,
            event_type__in=["eligibility_rule.created", "eligibility_rule.changed"],
        )
        .select_related("actor")
        .order_by("-occurred_at", "-id")[:limit]
    )
    events = list(events)
    categories = _category_names(
        values.get("need_categories") for event in events for values in (event.old_values or {}, event.new_values or {})
    )
    rows = []
    for event in events:
        old, new = event.old_values or {}, event.new_values or {}
        changes = [
            (
                str(EligibilityRule._meta.get_field(name).verbose_name),
                _rule_value_shown(name, old.get(name), categories),
                _rule_value_shown(name, new.get(name), categories),
            )
            for name in new
            if name not in ("version", "programme") and old.get(name) != new.get(name)
        ]
        rows.append(
            RuleHistoryRow(
                occurred_at=event.occurred_at,
                actor=event.actor,
                event_type=event.event_type,
                rule_id=int(event.object_id),
                kind_label=_rule_value_shown("kind", new.get("kind")),
                changes=changes,
                reason=event.reason,
            )
        )
    return rows


@dataclass(frozen=True)
class ApprovalInbox:
    """What waits for a coordinator's decision: backdating requests and statements awaiting approval."""

    backdating_requests: list[BackdatingRequest]
    statements: list[PaymentStatement]

    @property
    def count(self) -> int:
        return len(self.backdating_requests) + len(self.statements)


def approval_inbox_for(user: User) -> ApprovalInbox:
    """The approval inbox of a coordinator (their programmes) or an admin (all): pending backdating requests and
    validated payment statements that wait for approval, oldest first. Reusable by the home page."""
    allowed = user.is_superuser or user.role in (Role.COORDINATOR, Role.ADMIN)
    programmes = coordinated_programmes(user=user) if allowed else Programme.objects.none()
    requests = list(
        BackdatingRequest.objects.filter(programme__in=programmes, status=BackdatingStatus.PENDING)
        .select_related("programme", "family", "requested_by")
        .order_by("requested_at", "id")
    )
    statements = list(
        PaymentStatement.objects.filter(programme__in=programmes, status=StatementStatus.VALIDATED)
        .select_related("programme")
        .order_by("validated_at", "id")
    )
    return ApprovalInbox(backdating_requests=requests, statements=statements)
