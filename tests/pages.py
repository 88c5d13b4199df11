"""The app's pages with real ids, for tests that visit every page (the code crawl, the 390 px browser walk)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from families.models import (
    Child,
    Consent,
    ConsentScope,
    Enrollment,
    EnrollmentStatus,
    Family,
    FamilyTransfer,
    Guardian,
    TransferStatus,
)
from families.selectors import families_visible_to, transfers_incoming_for, transfers_outgoing_for
from families.services import consent_give
from families.transfers import transfer_request
from outcomes.models import ServiceNeedsAssessment
from payments.models import PaymentRun, PaymentStatement
from programs.models import EligibilityRule, Municipality, Programme
from sibcase.models import User


def _first(queryset, n: int = 2) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:n])


def page_urls(user: User) -> dict[str, list[str]]:
    """For each view name, URLs with real ids: what this login may see first, someone else's otherwise."""
    families = _first(families_visible_to(user)) or _first(Family.objects, 1)
    consents = _first(
        Consent.objects.filter(family_id__in=families, withdrawn_on__isnull=True, voided_at__isnull=True)
    ) or _first(Consent.objects, 1)
    assessments = _first(ServiceNeedsAssessment.objects.filter(family_id__in=families)) or _first(
        ServiceNeedsAssessment.objects, 1
    )
    enrollments = _first(
        Enrollment.objects.filter(family_id__in=families).exclude(status=EnrollmentStatus.EXITED)
    ) or _first(Enrollment.objects, 1)
    children = _first(Child.objects.filter(family_id__in=families)) or _first(Child.objects, 1)
    guardians = _first(Guardian.objects.filter(family_id__in=families)) or _first(Guardian.objects, 1)
    programmes = _first(Programme.objects, 5)
    rules = list(EligibilityRule.objects.order_by("pk").values_list("programme_id", "pk")[:2])
    statements = _first(PaymentStatement.objects, 3)
    runs = _first(PaymentRun.objects, 2)
    open_transfers = FamilyTransfer.objects.filter(status=TransferStatus.REQUESTED)
    incoming = _first(transfers_incoming_for(user=user), 1) or _first(open_transfers, 1)
    outgoing = _first(transfers_outgoing_for(user=user), 1) or _first(open_transfers, 1)

    def each(name, ids, **extra):
        return [reverse(name, kwargs={"pk": pk, **extra}) for pk in ids]

    return {
        "home": [reverse("home")],
        "login": [reverse("login")],
        "families:list": [reverse("families:list"), reverse("families:list") + "?status=exited"],
        "families:referral_create": [reverse("families:referral_create")],
        "families:detail": each("families:detail", families),
        "families:consent_create": each("families:consent_create", families),
        "families:enrollment_create": each("families:enrollment_create", families),
        "families:consent_withdraw": each("families:consent_withdraw", consents),
        "families:enrollment_exit": each("families:enrollment_exit", enrollments),
        "families:enrollment_activate": each("families:enrollment_activate", enrollments),
        "families:transfer_request": each("families:transfer_request", families[:1]),
        "families:transfer_inbox": [reverse("families:transfer_inbox")],
        "families:transfer_decide": each("families:transfer_decide", incoming),
        "families:transfer_cancel": each("families:transfer_cancel", outgoing),
        "families:person_detail": each("families:person_detail", children, kind="child")
        + each("families:person_detail", guardians, kind="guardian"),
        "families:identity_code_correct": each("families:identity_code_correct", children, kind="child")
        + each("families:identity_code_correct", guardians, kind="guardian"),
        "families:consent_correct": each("families:consent_correct", consents),
        "families:consent_void": each("families:consent_void", consents),
        "families:backdating_request_create": each("families:backdating_request_create", families),
        "outcomes:assessment_create": each("outcomes:assessment_create", families),
        "outcomes:assessment_correct": each("outcomes:assessment_correct", assessments),
        "outcomes:episode_create": each("outcomes:episode_create", families),
        "outcomes:observation_create": each("outcomes:observation_create", families),
        "outcomes:visit_create": each("outcomes:visit_create", families),
        "programs:list": [reverse("programs:list")],
        "programs:inbox": [reverse("programs:inbox")],
        "programs:detail": each("programs:detail", programmes),
        "programs:window_edit": each("programs:window_edit", programmes[:1]),
        "programs:rule_create": each("programs:rule_create", programmes[:1]),
        "programs:rule_edit": [reverse("programs:rule_edit", kwargs={"pk": p, "rule_pk": r}) for p, r in rules],
        "programs:referral_queue": each("programs:referral_queue", programmes),
        "payments:statement_list": [reverse("payments:statement_list")],
        "payments:terms_list": [reverse("payments:terms_list")],
        "payments:run_create": [reverse("payments:run_create")],
        "payments:comparison_cost_create": [reverse("payments:comparison_cost_create")],
        "payments:run_detail": each("payments:run_detail", runs),
        "payments:statement_detail": each("payments:statement_detail", statements),
        "payments:statement_transition": each("payments:statement_transition", statements[:1]),
        "payments:statement_recalculate": each("payments:statement_recalculate", statements[:1]),
        "payments:statement_children": each("payments:statement_children", statements[:1]),
        "fund:overview": [reverse("fund:overview")],
        "fund:investors": [reverse("fund:investors")],
        "fund:programme": each("fund:programme", programmes),
    }


def open_demo_transfer() -> FamilyTransfer:
    """An open transfer in the demo data (a Vantaa family moving to Helsinki, with the guardian's consent), so the
    pages of both sides have something to show: Vantaa's cancel page, Helsinki's inbox and decision page."""
    worker = User.objects.get(username="demo-sosiaalityo-vantaa")
    family = Family.objects.filter(municipality=worker.municipality).order_by("pk").first()
    guardian = family.guardians.order_by("pk").first()
    consent_give(
        actor=worker,
        guardian=guardian,
        programme=family.referrals.order_by("pk").first().programme,
        scope=ConsentScope.MUNICIPALITY_TRANSFER,
        given_on=timezone.localdate(),
    )
    return transfer_request(
        actor=worker,
        family=family,
        to_municipality=Municipality.objects.get(code="091"),
        note="Perhe muuttaa Helsinkiin kuun lopussa; uusi osoite on kirjattu väestötietoihin.",
    )
