"""The data subject's right of access (GDPR Art. 15) and to the log information (Client Data Act 703/2023 § 11).

For one person (a child or a guardian) an admin makes, on the person's request, an export of everything the
register holds about them and of every access-log row about them (who, in which role, when, what, on what basis),
as a PDF and as JSON. The export itself is an access-log row (action `export`, recipient: the data subject) and an
audit row, both with the request's reason.
"""

from __future__ import annotations

import datetime
import io
import json
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from outcomes.models import OutcomeObservation, ServiceEpisode, ServiceNeedsAssessment, ServiceVisit
from sibcase.audit import access_log_record, audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import AccessAction, AccessLogEntry, Role, User

from .models import Child, Consent, Enrollment, Guardian, Referral

BASIS_SUBJECT_ACCESS = "rekisteröidyn tarkastusoikeus (703/2023 § 11, GDPR 15 art.)"
RECIPIENT_SUBJECT = "rekisteröity itse (tarkastuspyyntö)"
FORMATS = {"pdf": "application/pdf", "json": "application/json"}


@dataclass(frozen=True)
class SubjectAccessExport:
    filename: str
    content_type: str
    content: bytes


def _iso(value) -> Any:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _user_label(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def subject_access_data(*, person: Child | Guardian) -> dict[str, Any]:
    """Everything about the person: their own record, their family's records that concern them, and the log."""
    family = person.family
    is_child = isinstance(person, Child)
    own: dict[str, Any] = {
        "type": "child" if is_child else "guardian",
        "id": person.pk,
        "first_names": person.first_names,
        "last_name": person.last_name,
        "identity_code": person.identity_code,
        "birth_date": _iso(person.birth_date),
    }
    if is_child:
        own["need_categories"] = [str(need) for need in person.need_categories.all()]
    else:
        own["employment_status"] = person.get_employment_status_display()
    enrollments = Enrollment.objects.filter(family=family).select_related("programme").order_by("enrolled_on")
    if is_child:
        enrollments = enrollments.filter(children=person)
    consents = Consent.objects.filter(family=family).select_related("programme", "guardian")
    if not is_child:
        consents = consents.filter(guardian=person)
    concerns = Q(child__isnull=True) | Q(child=person) if is_child else Q()
    assessments = ServiceNeedsAssessment.objects.filter(family=family).filter(concerns).order_by("started_on")
    episodes = (
        ServiceEpisode.objects.filter(family=family).filter(concerns).select_related("service", "provider")
    ).order_by("start_date")
    visits = ServiceVisit.objects.filter(episode__in=episodes).select_related("episode__service").order_by("visited_on")
    observations = (
        OutcomeObservation.objects.filter(child=person).select_related("metric").order_by("period_start")
        if is_child
        else OutcomeObservation.objects.none()
    )
    log = (
        AccessLogEntry.objects.filter(
            Q(person_type=own["type"], person_id=person.pk) | Q(family=family, person_type="")
        )
        .select_related("user")
        .order_by("occurred_at", "id")
    )
    return {
        "person": own,
        "family": {
            "reference": family.reference,
            "municipality": str(family.municipality),
            "postal_code": family.postal_code,
            "district": family.district,
            "created_at": _iso(family.created_at),
            "retain_until": _iso(family.retain_until),
        },
        "referrals": [
            {
                "programme": str(r.programme),
                "source": r.get_source_display(),
                "referred_on": _iso(r.referred_on),
                "reason": r.reason,
                "status": r.get_status_display(),
            }
            for r in Referral.objects.filter(family=family).select_related("programme").order_by("referred_on")
        ],
        "consents": [
            {
                "guardian": str(c.guardian),
                "programme": str(c.programme),
                "scope": c.get_scope_display(),
                "given_on": _iso(c.given_on),
                "withdrawn_on": _iso(c.withdrawn_on),
                # Recorded in error and voided (families.corrections): shown as such, never as a valid consent.
                "voided_on": _iso(timezone.localdate(c.voided_at)) if c.voided_at else None,
                "void_reason": c.void_reason,
            }
            for c in consents.order_by("given_on")
        ],
        "enrollments": [
            {
                "programme": str(e.programme),
                "enrolled_on": _iso(e.enrolled_on),
                "activated_on": _iso(e.activated_on),
                "status": e.get_status_display(),
                "exit_date": _iso(e.exit_date),
                "exit_reason": e.get_exit_reason_display() if e.exit_reason else "",
                "exit_note": e.exit_note,
            }
            for e in enrollments
        ],
        "assessments": [
            {"started_on": _iso(a.started_on), "completed_on": _iso(a.completed_on), "summary": a.summary}
            for a in assessments
        ],
        "episodes": [
            {
                "service": str(e.service),
                "provider": str(e.provider) if e.provider else "",
                "start_date": _iso(e.start_date),
                "end_date": _iso(e.end_date),
                "status": e.get_status_display(),
            }
            for e in episodes
        ],
        "visits": [
            {
                "service": str(v.episode.service),
                "visited_on": _iso(v.visited_on),
                "duration_minutes": v.duration_minutes,
                "note": v.note,
            }
            for v in visits
        ],
        "observations": [
            {
                "metric": str(o.metric),
                "period_start": _iso(o.period_start),
                "period_end": _iso(o.period_end),
                "value": str(o.value),
                "source": o.get_source_display(),
                "voided": o.voided_at is not None,
            }
            for o in observations
        ],
        "access_log": [
            {
                "time": _iso(row.occurred_at),
                "user": _user_label(row.user),
                "role": str(Role(row.user_role).label) if row.user_role in Role.values else row.user_role,
                "action": row.get_action_display(),
                "basis": row.basis,
                "recipient": row.recipient,
            }
            for row in log
        ],
    }


def subject_access_export(
    *, actor: User, person: Child | Guardian, reason: str, fmt: str, path: str = ""
) -> SubjectAccessExport:
    """The export, logged (access log and audit trail, with the reason) in the same transaction as it is read."""
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise DomainError(Problem("not_admin", _("Vain ylläpitäjä voi tehdä tarkastuspyynnön tulosteen.")))
    reason = reason.strip()
    if not reason:
        raise DomainError(Problem("reason_required", _("Kirjaa pyynnön peruste.")), field_name="reason")
    if fmt not in FORMATS:
        raise DomainError(Problem("invalid_format", _("Valitse tiedostomuoto.")), field_name="fmt")
    with transaction.atomic():
        access_log_record(
            user=actor,
            action=AccessAction.EXPORT,
            basis=f"{BASIS_SUBJECT_ACCESS}: {reason}"[:200],
            family_id=person.family_id,
            person=person,
            path=path,
            recipient=RECIPIENT_SUBJECT,
        )
        audit_record(actor=actor, event_type="subject_access.exported", obj=person, new={"format": fmt}, reason=reason)
        data = subject_access_data(person=person)
    data["request"] = {"made_at": _iso(timezone.now()), "made_by": _user_label(actor), "reason": reason}
    stem = f"tarkastuspyynto-{data['person']['type']}-{person.pk}"
    content = json.dumps(data, ensure_ascii=False, indent=2).encode() if fmt == "json" else _pdf(data)
    return SubjectAccessExport(filename=f"{stem}.{fmt}", content_type=FORMATS[fmt], content=content)


HEADINGS = (
    ("request", gettext_lazy("Pyyntö")),
    ("person", gettext_lazy("Henkilö")),
    ("family", gettext_lazy("Perhe")),
)
SECTIONS = (
    ("referrals", gettext_lazy("Ohjaukset")),
    ("consents", gettext_lazy("Suostumukset")),
    ("enrollments", gettext_lazy("Ohjelmaan osallistumiset")),
    ("assessments", gettext_lazy("Palvelutarpeen arviot")),
    ("episodes", gettext_lazy("Palvelujaksot")),
    ("visits", gettext_lazy("Tapaamiset")),
    ("observations", gettext_lazy("Tulostiedot")),
    ("access_log", gettext_lazy("Tietojen käyttö (käyttöloki)")),
)


def _pdf(data: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    cell = styles["BodyText"]
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=_("Tarkastuspyyntö"))
    story: list = [Paragraph(escape(_("Tarkastuspyyntö: rekisteriin tallennetut tiedot")), styles["Title"])]

    def table(rows: list[list[str]]) -> Table:
        built = Table([[Paragraph(escape(str(v if v is not None else "")), cell) for v in row] for row in rows])
        built.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return built

    for key, title in HEADINGS:
        story += [Paragraph(escape(str(title)), styles["Heading2"]), table([[k, v] for k, v in data[key].items()])]
    for key, title in SECTIONS:
        story.append(Paragraph(escape(str(title)), styles["Heading2"]))
        rows = data[key]
        if rows:
            story.append(table([list(rows[0].keys())] + [list(row.values()) for row in rows]))
        else:
            story.append(Paragraph(escape(_("Ei tietoja.")), cell))
        story.append(Spacer(1, 6))
    doc.build(story)
    return buffer.getvalue()
