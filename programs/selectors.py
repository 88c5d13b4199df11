"""Reads of programmes, scoped to the user."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from sibcase.models import Role, User

from .models import EnrollmentRefusal, Programme


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
    from families.models import Enrollment, EnrollmentStatus

    counts = dict(
        Enrollment.objects.filter(programme=programme).values_list("status").annotate(n=Count("id")).order_by()
    )
    by_month = list(
        Enrollment.objects.filter(programme=programme)
        .annotate(month=TruncMonth("enrolled_on"))
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by("month")
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
