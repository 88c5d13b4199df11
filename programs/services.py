"""Programme rules: eligibility evaluation (rules are data, see EligibilityRule).

Each rule gives pass / fail / unknown with a reason in Finnish, Swedish and English. The rules' verdict is
fail if any rule fails, else unknown if any rule cannot be decided from what is recorded, else pass. Beside the
rules the result states whether the programme takes families now (its enrollment window, with the decision that
closed it) and has a place for one (capacity), so that a closed programme is flagged before anyone records a
consent: `overall_verdict` combines all three, and is what pages show.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q, Sum
from django.utils import formats, timezone, translation
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from families.models import Child, EmploymentStatus, Enrollment, EnrollmentStatus, Family, Referral, ReferralSource
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import AuditEvent, User

from .models import (
    EligibilityRule,
    EnrollmentRefusal,
    Fund,
    Investor,
    InvestorFlow,
    InvestorFlowKind,
    NeedCategory,
    Programme,
    ProgrammeWindowChange,
    RuleKind,
    TargetAreaPostalCode,
)

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
# Not rules of the programme's own choosing but facts of the programme: shown with the rules' reasons.
WINDOW, CAPACITY = "enrollment_window", "capacity"
LANGUAGES = ("fi", "sv", "en")

VERDICT_LABELS = {
    PASS: {"fi": "Täyttää ehdot", "sv": "Uppfyller villkoren", "en": "Eligible"},
    FAIL: {"fi": "Ei täytä ehtoja", "sv": "Uppfyller inte villkoren", "en": "Not eligible"},
    UNKNOWN: {"fi": "Ei voida ratkaista", "sv": "Kan inte avgöras", "en": "Cannot be decided"},
}

RULE_NAMES = {
    RuleKind.CHILD_AGE: {"fi": "Lapsen ikä", "sv": "Barnets ålder", "en": "Child's age"},
    RuleKind.TARGET_AREA: {"fi": "Asuinalue", "sv": "Bostadsområde", "en": "Area of residence"},
    RuleKind.GUARDIAN_STATUS: {
        "fi": "Huoltajan tilanne",
        "sv": "Vårdnadshavarens situation",
        "en": "Guardian's situation",
    },
    RuleKind.NEED_CATEGORY: {"fi": "Tuen tarve", "sv": "Stödbehov", "en": "Support need"},
    RuleKind.REFERRAL_SOURCE: {"fi": "Ohjaava taho", "sv": "Hänvisande instans", "en": "Referral source"},
    WINDOW: {"fi": "Ilmoittautumisikkuna", "sv": "Anmälningsperiod", "en": "Enrollment window"},
    CAPACITY: {"fi": "Paikat", "sv": "Platser", "en": "Places"},
}
CLOSED_LABEL = {
    "fi": "Ohjelma ei ota uusia perheitä",
    "sv": "Programmet tar inte emot nya familjer",
    "en": "The programme takes no new families",
}

# Reason texts side by side in the three languages; {placeholders} are filled per family.
REASONS = {
    (RuleKind.CHILD_AGE, PASS): {
        "fi": "Lapsi on {min}–{max}-vuotias ohjauspäivänä {day}.",
        "sv": "Barnet är {min}–{max} år på hänvisningsdagen {day}.",
        "en": "A child is aged {min}–{max} on the referral date {day}.",
    },
    (RuleKind.CHILD_AGE, FAIL): {
        "fi": "Yksikään lapsi ei ole {min}–{max}-vuotias ohjauspäivänä {day} (iät: {ages}).",
        "sv": "Inget barn är {min}–{max} år på hänvisningsdagen {day} (åldrar: {ages}).",
        "en": "No child is aged {min}–{max} on the referral date {day} (ages: {ages}).",
    },
    (RuleKind.CHILD_AGE, UNKNOWN): {
        "fi": "Perheelle ei ole kirjattu lapsia.",
        "sv": "Inga barn har registrerats för familjen.",
        "en": "No children are recorded for the family.",
    },
    (RuleKind.TARGET_AREA, PASS): {
        "fi": "Postinumero {postal_code} kuuluu kohdealueeseen ({areas}).",
        "sv": "Postnumret {postal_code} hör till målområdet ({areas}).",
        "en": "Postal code {postal_code} is in the target area ({areas}).",
    },
    (RuleKind.TARGET_AREA, FAIL): {
        "fi": "Postinumero {postal_code} ei kuulu kohdealueisiin ({areas}).",
        "sv": "Postnumret {postal_code} hör inte till målområdena ({areas}).",
        "en": "Postal code {postal_code} is outside the target areas ({areas}).",
    },
    (RuleKind.TARGET_AREA, UNKNOWN): {
        "fi": "Ohjelmalle ei ole määritelty kohdealueita.",
        "sv": "Inga målområden har definierats för programmet.",
        "en": "The programme has no target areas defined.",
    },
    (RuleKind.GUARDIAN_STATUS, PASS): {
        "fi": "Huoltajan tilanne täyttää ehdon.",
        "sv": "Vårdnadshavarens situation uppfyller villkoret.",
        "en": "A guardian's situation meets the condition.",
    },
    (RuleKind.GUARDIAN_STATUS, FAIL): {
        "fi": "Yhdenkään huoltajan tilanne ei täytä ehtoa (esim. työtön tai koulutustarve).",
        "sv": "Ingen vårdnadshavares situation uppfyller villkoret (t.ex. arbetslös eller utbildningsbehov).",
        "en": "No guardian's situation meets the condition (e.g. out of work or needing education).",
    },
    (RuleKind.GUARDIAN_STATUS, UNKNOWN): {
        "fi": "Huoltajan työ- tai koulutustilannetta ei ole kirjattu.",
        "sv": "Vårdnadshavarens arbets- eller utbildningssituation har inte registrerats.",
        "en": "The guardian's work or education situation is not recorded.",
    },
    (RuleKind.NEED_CATEGORY, PASS): {
        "fi": "Lapsella on ohjelman kohderyhmän tuen tarve.",
        "sv": "Barnet har ett stödbehov som hör till programmets målgrupp.",
        "en": "A child has a support need of the programme's target group.",
    },
    (RuleKind.NEED_CATEGORY, FAIL): {
        "fi": "Lapsilla ei ole ohjelman kohderyhmän tuen tarvetta ({categories}).",
        "sv": "Barnen har inget stödbehov som hör till programmets målgrupp ({categories}).",
        "en": "No child has a support need of the programme's target group ({categories}).",
    },
    (RuleKind.NEED_CATEGORY, UNKNOWN): {
        "fi": "Lapsille ei ole kirjattu tuen tarpeita.",
        "sv": "Inga stödbehov har registrerats för barnen.",
        "en": "No support needs are recorded for the children.",
    },
    (RuleKind.REFERRAL_SOURCE, PASS): {
        "fi": "Ohjaava taho hyväksytään.",
        "sv": "Den hänvisande instansen godkänns.",
        "en": "The referral source is accepted.",
    },
    (RuleKind.REFERRAL_SOURCE, FAIL): {
        "fi": "Ohjelmaan ohjaavat vain: {sources}.",
        "sv": "Endast dessa hänvisar till programmet: {sources}.",
        "en": "Only these refer to the programme: {sources}.",
    },
    (RuleKind.REFERRAL_SOURCE, UNKNOWN): {
        "fi": "Perheellä ei ole ohjausta tähän ohjelmaan.",
        "sv": "Familjen har ingen hänvisning till detta program.",
        "en": "The family has no referral to this programme.",
    },
}


def _language() -> str:
    language = (get_language() or "fi")[:2]
    return language if language in ("fi", "sv", "en") else "fi"


@dataclass(frozen=True)
class RuleResult:
    kind: str
    verdict: str
    params: dict = field(default_factory=dict)
    texts: dict[str, str] | None = None  # the window's and capacity's reasons, already written in each language

    def message_in(self, language: str) -> str:
        if self.texts is not None:
            return self.texts[language]
        return REASONS[(self.kind, self.verdict)][language].format(**self.params)

    @property
    def messages_by_language(self) -> dict[str, str]:
        return {language: self.message_in(language) for language in ("fi", "sv", "en")}

    @property
    def message(self) -> str:
        return self.message_in(_language())

    @property
    def rule_name(self) -> str:
        return RULE_NAMES[self.kind][_language()]


@dataclass(frozen=True)
class EligibilityResult:
    """`verdict` and `reasons` are the programme's eligibility rules (the enrollment service checks these); the
    window and capacity are the programme's state today, and `overall_verdict` combines all of them."""

    verdict: str
    reasons: list[RuleResult]
    window: RuleResult | None = None
    capacity: RuleResult | None = None

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict][_language()]

    @property
    def programme_reasons(self) -> list[RuleResult]:
        return [reason for reason in (self.window, self.capacity) if reason is not None]

    @property
    def all_reasons(self) -> list[RuleResult]:
        return [*self.programme_reasons, *self.reasons]

    @property
    def is_closed(self) -> bool:
        return self.window is not None and self.window.verdict != PASS

    @property
    def overall_verdict(self) -> str:
        verdicts = {self.verdict, *(reason.verdict for reason in self.programme_reasons)}
        return FAIL if FAIL in verdicts else UNKNOWN if UNKNOWN in verdicts else PASS

    @property
    def overall_label(self) -> str:
        if self.window is not None and self.window.verdict == FAIL and self.window.params.get("closed"):
            return CLOSED_LABEL[_language()]
        return VERDICT_LABELS[self.overall_verdict][_language()]


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Full years on `day`: the birthday is the same month and day. A child born on 29 February therefore
    turns a year older on 1 March in common years (28 February is still before the birthday)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def eligibility_evaluate(
    *, programme: Programme, family: Family, on_date: datetime.date, today: datetime.date | None = None
) -> EligibilityResult:
    """The family's verdict for the programme: its rules judged on `on_date` (the referral date), and whether the
    programme takes a family `today` (window) and has a place for it (capacity)."""
    rules = list(
        EligibilityRule.objects.filter(programme=programme, is_active=True).prefetch_related("need_categories")
    )
    children = list(family.children.prefetch_related("need_categories"))
    results = [
        _evaluate(rule, programme=programme, family=family, children=children, on_date=on_date) for rule in rules
    ]
    verdicts = {result.verdict for result in results}
    verdict = FAIL if FAIL in verdicts else UNKNOWN if UNKNOWN in verdicts else PASS
    today = today or timezone.localdate()
    return EligibilityResult(
        verdict=verdict,
        reasons=results,
        window=_window(programme, referred_on=on_date, today=today),
        capacity=_capacity(programme),
    )


def _in_each_language(write) -> dict[str, str]:
    texts = {}
    for language in LANGUAGES:
        with translation.override(language):
            texts[language] = str(write())
    return texts


def enrollment_closed_message(programme: Programme) -> str:
    """The refusal of a family from the cutoff on, with the decision; the same words as the enrollment
    service's `enrollment_closed` refusal (families.services._cutoff_problem), in the active language."""
    decision = ""
    if programme.cutoff_decision_body:
        decision = _(" (%(body)s, päätös %(date)s)") % {
            "body": programme.cutoff_decision_body,
            "date": date_format(programme.cutoff_decision_date) if programme.cutoff_decision_date else "",
        }
    return _("Ohjelmaan ei oteta uusia perheitä %(cutoff)s alkaen%(decision)s.") % {
        "cutoff": date_format(programme.enrollment_cutoff),
        "decision": decision,
    }


def _window(programme: Programme, *, referred_on: datetime.date, today: datetime.date) -> RuleResult:
    cutoff = programme.enrollment_cutoff
    if cutoff is not None and cutoff <= today:
        if referred_on < cutoff:
            # Referred while the programme was open: enrollable only as a backdated record a coordinator approves.
            return RuleResult(
                WINDOW,
                UNKNOWN,
                {"cutoff": cutoff.isoformat()},
                _in_each_language(
                    lambda: (
                        _(
                            "Ohjelman uusien perheiden ottaminen päättyi %(cutoff)s. Ennen sitä päivätty kirjaus tehdään "
                            "nyt jälkikäteen, joten se vaatii koordinaattorin hyväksynnän ja kirjallisen perustelun."
                        )
                        % {"cutoff": date_format(cutoff)}
                    )
                ),
            )
        return RuleResult(
            WINDOW,
            FAIL,
            {"cutoff": cutoff.isoformat(), "closed": True},
            _in_each_language(lambda: enrollment_closed_message(programme)),
        )
    if today < programme.enrollment_opens:
        return RuleResult(
            WINDOW,
            FAIL,
            {"opens": programme.enrollment_opens.isoformat()},
            _in_each_language(
                lambda: (
                    _("Ohjelmaan otetaan perheitä vasta %(date)s alkaen.")
                    % {"date": date_format(programme.enrollment_opens)}
                )
            ),
        )
    if cutoff is not None:
        return RuleResult(
            WINDOW,
            PASS,
            {"cutoff": cutoff.isoformat()},
            _in_each_language(
                lambda: (
                    _("Ohjelma ottaa uusia perheitä; viimeinen päivä on %(day)s.")
                    % {"day": date_format(cutoff - datetime.timedelta(days=1))}
                )
            ),
        )
    return RuleResult(WINDOW, PASS, {}, _in_each_language(lambda: _("Ohjelma ottaa uusia perheitä.")))


def _capacity(programme: Programme, active: int | None = None) -> RuleResult | None:
    if programme.capacity is None:
        return None
    if active is None:
        active = Enrollment.objects.filter(programme=programme, status=EnrollmentStatus.ACTIVE).count()
    params = {"capacity": programme.capacity, "active": active}
    if active < programme.capacity:
        return RuleResult(
            CAPACITY,
            PASS,
            params,
            _in_each_language(
                lambda: (
                    _("Paikkoja vapaana %(free)s / %(capacity)s.")
                    % {"free": programme.capacity - active, "capacity": programme.capacity}
                )
            ),
        )
    if programme.waitlist_when_full:
        return RuleResult(
            CAPACITY,
            PASS,
            params,
            _in_each_language(
                lambda: (
                    _("Ohjelma on täynnä (%(capacity)s perhettä mukana); perhe otetaan jonoon.")
                    % {"capacity": programme.capacity}
                )
            ),
        )
    return RuleResult(
        CAPACITY,
        FAIL,
        params,
        _in_each_language(
            lambda: _("Ohjelma on täynnä (%(capacity)s perhettä mukana).") % {"capacity": programme.capacity}
        ),
    )


def eligibility_evaluate_many(
    *, programme: Programme, referrals: list[Referral], today: datetime.date | None = None
) -> list[EligibilityResult]:
    """The verdict of each referral's family (on its referral date), as `eligibility_evaluate` gives it one at a
    time, in a fixed number of queries whatever the number of referrals (the referral queue)."""
    today = today or timezone.localdate()
    rules = list(
        EligibilityRule.objects.filter(programme=programme, is_active=True).prefetch_related("need_categories")
    )
    codes = list(TargetAreaPostalCode.objects.filter(area__programme=programme).select_related("area"))
    families = [referral.family for referral in referrals]
    models.prefetch_related_objects(
        families, models.Prefetch("children", queryset=Child.objects.prefetch_related("need_categories")), "guardians"
    )
    latest = {
        referral.family_id: referral
        for referral in Referral.objects.filter(family__in=families, programme=programme)
        .order_by("family_id", "-referred_on", "-id")
        .distinct("family_id")
    }
    capacity = _capacity(programme)
    results = []
    for referral in referrals:
        family = referral.family
        children = list(family.children.all())
        reasons = [
            _evaluate(
                rule,
                programme=programme,
                family=family,
                children=children,
                on_date=referral.referred_on,
                codes=codes,
                latest_referral=latest.get(family.pk),
            )
            for rule in rules
        ]
        verdicts = {reason.verdict for reason in reasons}
        results.append(
            EligibilityResult(
                verdict=FAIL if FAIL in verdicts else UNKNOWN if UNKNOWN in verdicts else PASS,
                reasons=reasons,
                window=_window(programme, referred_on=referral.referred_on, today=today),
                capacity=capacity,
            )
        )
    return results


def eligibility_evaluate_loaded(
    *,
    programme: Programme,
    family: Family,
    children: list,
    rules: list[EligibilityRule],
    codes: list[TargetAreaPostalCode],
    latest_referral: Referral | None,
    active: int,
    on_date: datetime.date,
    today: datetime.date | None = None,
) -> EligibilityResult:
    """`eligibility_evaluate` over inputs the caller has already read (the family page reads them with its other
    records): the same rules, window and capacity, no query."""
    reasons = [
        _evaluate(
            rule,
            programme=programme,
            family=family,
            children=children,
            on_date=on_date,
            codes=codes,
            latest_referral=latest_referral,
        )
        for rule in rules
    ]
    verdicts = {reason.verdict for reason in reasons}
    return EligibilityResult(
        verdict=FAIL if FAIL in verdicts else UNKNOWN if UNKNOWN in verdicts else PASS,
        reasons=reasons,
        window=_window(programme, referred_on=on_date, today=today or timezone.localdate()),
        capacity=_capacity(programme, active),
    )


_NOT_LOADED: Any = object()


def _evaluate(
    rule: EligibilityRule,
    *,
    programme,
    family,
    children,
    on_date,
    codes: Any = _NOT_LOADED,
    latest_referral: Any = _NOT_LOADED,
) -> RuleResult:
    day = f"{on_date.day}.{on_date.month}.{on_date.year}"
    if rule.kind == RuleKind.CHILD_AGE:
        params = {"min": rule.min_age, "max": rule.max_age, "day": day}
        if not children:
            return RuleResult(rule.kind, UNKNOWN, params)
        ages = [age_on(child.birth_date, on_date) for child in children]
        inside = any(rule.min_age <= age <= rule.max_age for age in ages)
        return RuleResult(rule.kind, PASS if inside else FAIL, {**params, "ages": ", ".join(map(str, ages))})
    if rule.kind == RuleKind.TARGET_AREA:
        if codes is _NOT_LOADED:
            codes = TargetAreaPostalCode.objects.filter(area__programme=programme).select_related("area")
        areas = sorted({code.area.name for code in codes})
        params = {"postal_code": family.postal_code, "areas": ", ".join(areas)}
        if not areas:
            return RuleResult(rule.kind, UNKNOWN, params)
        inside = any(code.postal_code == family.postal_code for code in codes)
        return RuleResult(rule.kind, PASS if inside else FAIL, params)
    if rule.kind == RuleKind.GUARDIAN_STATUS:
        statuses = [guardian.employment_status for guardian in family.guardians.all()]
        if any(status in rule.guardian_statuses for status in statuses):
            return RuleResult(rule.kind, PASS)
        if not statuses or EmploymentStatus.UNKNOWN in statuses:
            return RuleResult(rule.kind, UNKNOWN)
        return RuleResult(rule.kind, FAIL)
    if rule.kind == RuleKind.NEED_CATEGORY:
        wanted = {category.pk for category in rule.need_categories.all()}
        recorded = {category.pk for child in children for category in child.need_categories.all()}
        names = ", ".join(str(category) for category in rule.need_categories.all())
        if recorded & wanted:
            return RuleResult(rule.kind, PASS)
        return RuleResult(rule.kind, FAIL if recorded else UNKNOWN, {"categories": names})
    if rule.kind == RuleKind.REFERRAL_SOURCE:
        referral = latest_referral
        if referral is _NOT_LOADED:
            referral = (
                Referral.objects.filter(family=family, programme=programme).order_by("-referred_on", "-id").first()
            )
        sources = ", ".join(str(ReferralSource(source).label) for source in rule.referral_sources)
        if referral is None:
            return RuleResult(rule.kind, UNKNOWN, {"sources": sources})
        return RuleResult(rule.kind, PASS if referral.source in rule.referral_sources else FAIL, {"sources": sources})
    raise ValueError(f"unknown rule kind {rule.kind}")


def programme_window_update(
    *,
    actor: User,
    programme: Programme,
    enrollment_opens: datetime.date,
    enrollment_cutoff: datetime.date | None,
    decision_body: str,
    decision_date: datetime.date | None,
    decision_text: str,
    reason: str,
    expected_version: int | None = None,
) -> Programme:
    """Change a programme's enrollment window; the change itself is recorded (who, when, old → new, why).

    `expected_version` is the programme's version when the coordinator loaded the form (None: no check, for
    imports and scripts); if someone saved in between, nothing is saved and the refusal lists what they changed.
    """
    if not reason.strip():
        raise DomainError(Problem("reason_required", _("Kirjaa muutoksen perustelu.")), field_name="reason")
    if enrollment_cutoff is not None and enrollment_cutoff <= enrollment_opens:
        raise DomainError(
            Problem("cutoff_before_opening", _("Katkaisupäivän on oltava alkamispäivän jälkeen.")),
            field_name="enrollment_cutoff",
        )
    if enrollment_cutoff is not None and not decision_body.strip():
        raise DomainError(
            Problem("decision_required", _("Kirjaa katkaisupäivän päätös: toimielin ja päivä.")),
            field_name="decision_body",
        )
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        if expected_version is not None and programme.version != expected_version:
            raise _stale_version(
                obj=programme,
                expected_version=expected_version,
                current=_window_values(programme),
                event_types=["programme.window_changed"],
            )
        old = _window_values(programme)
        ProgrammeWindowChange.objects.create(
            programme=programme,
            changed_by=actor,
            old_opens=programme.enrollment_opens,
            new_opens=enrollment_opens,
            old_cutoff=programme.enrollment_cutoff,
            new_cutoff=enrollment_cutoff,
            decision_body=decision_body.strip(),
            decision_date=decision_date,
            reason=reason.strip(),
        )
        programme.enrollment_opens = enrollment_opens
        programme.enrollment_cutoff = enrollment_cutoff
        programme.cutoff_decision_body = decision_body.strip()
        programme.cutoff_decision_date = decision_date
        programme.cutoff_decision_text = decision_text.strip()
        programme.full_clean()
        programme.version = F("version") + 1
        programme.save(update_fields=[*WINDOW_FIELDS, "version"])
        programme.refresh_from_db(fields=["version"])
        audit_record(
            actor=actor,
            event_type="programme.window_changed",
            obj=programme,
            old=old,
            new=_window_values(programme),
            reason=reason,
        )
    return programme


def enrollment_refusal_record(
    *, actor: User | None, programme: Programme, family_id: int, enrolled_on: datetime.date, codes: list[str]
) -> EnrollmentRefusal:
    return EnrollmentRefusal.objects.create(
        programme=programme,
        family_id=family_id,
        enrolled_on=enrolled_on,
        codes=codes,
        attempted_by=actor if actor is not None and actor.is_authenticated else None,
    )


def eligibility_rule_save(
    *,
    actor: User,
    rule: EligibilityRule,
    reason: str,
    need_category_ids: list[int] | None = None,
    expected_version: int | None = None,
) -> EligibilityRule:
    """Create or change one eligibility rule, with an audit record of the old and new parameters and the reason
    (the programme page shows these records as the rules' history).

    `expected_version`: as in programme_window_update, the version the editor loaded (None: no check).
    """
    if not reason.strip():
        raise DomainError(Problem("reason_required", _("Kirjaa muutoksen perustelu.")), field_name="reason")
    created = rule.pk is None
    with transaction.atomic():
        old: dict[str, Any] = {}
        if not created:
            stored = EligibilityRule.objects.select_for_update().get(pk=rule.pk)
            stored_needs = list(stored.need_categories.values_list("pk", flat=True))
            if expected_version is not None and stored.version != expected_version:
                raise _stale_version(
                    obj=stored,
                    expected_version=expected_version,
                    current=_rule_values(stored, stored_needs),
                    event_types=["eligibility_rule.created", "eligibility_rule.changed"],
                )
            old = _rule_values(stored, stored_needs)
            rule.version = stored.version + 1  # under the row lock taken just above
        rule.full_clean()
        rule.save()
        if need_category_ids is not None:
            rule.need_categories.set(need_category_ids)
        needs = list(rule.need_categories.values_list("pk", flat=True))
        audit_record(
            actor=actor,
            event_type="eligibility_rule.created" if created else "eligibility_rule.changed",
            obj=rule,
            old=old,
            new={"programme": rule.programme_id, **_rule_values(rule, needs)},
            reason=reason.strip(),
        )
    return rule


# Optimistic locking (programme window, eligibility rules): the values compared and shown on a conflict.
WINDOW_FIELDS = [
    "enrollment_opens",
    "enrollment_cutoff",
    "cutoff_decision_body",
    "cutoff_decision_date",
    "cutoff_decision_text",
]
RULE_FIELDS = [
    "kind",
    "min_age",
    "max_age",
    "guardian_statuses",
    "referral_sources",
    "need_categories",
    "is_active",
    "position",
]


def _window_values(programme: Programme) -> dict[str, Any]:
    values = {name: getattr(programme, name) for name in WINDOW_FIELDS}
    return _as_audit_values({**values, "version": programme.version})


def _rule_values(rule: EligibilityRule, need_category_ids: list[int]) -> dict[str, Any]:
    return _as_audit_values(
        {
            "kind": rule.kind,
            "min_age": rule.min_age,
            "max_age": rule.max_age,
            "guardian_statuses": ",".join(rule.guardian_statuses),
            "referral_sources": ",".join(rule.referral_sources),
            "need_categories": ",".join(map(str, sorted(need_category_ids))),
            "is_active": rule.is_active,
            "position": rule.position,
            "version": rule.version,
        }
    )


def _as_audit_values(values: dict[str, Any]) -> dict[str, Any]:
    """The form the audit trail stores (dates as ISO text), so stored and current values compare equal."""
    return {
        key: value if isinstance(value, (int, float, bool, type(None))) else str(value) for key, value in values.items()
    }


def _stale_version(
    *, obj: models.Model, expected_version: int, current: dict[str, Any], event_types: list[str]
) -> DomainError:
    """The refusal for a form loaded at an older version: who changed what since, old value → current value.

    The old values come from the audit trail (the first change after the editor's version stores them).
    """
    since = list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            event_type__in=event_types,
            new_values__version__gt=expected_version,
        )
        .select_related("actor")
        .order_by("id")
    )
    before = since[0].old_values if since else {}
    fields = [name for name in current if name != "version"]
    changes = [
        {"field": name, "old": before.get(name), "current": current[name]}
        for name in fields
        if not since or before.get(name) != current[name]
    ]
    who = ", ".join(dict.fromkeys((e.actor.get_full_name() or e.actor.username) if e.actor else "–" for e in since))
    when = formats.date_format(timezone.localtime(since[-1].occurred_at), "SHORT_DATETIME_FORMAT") if since else "–"
    problems = [
        Problem(
            "stale_version",
            _(
                "Toinen käyttäjä muutti näitä tietoja sen jälkeen, kun avasit lomakkeen (%(who)s, %(when)s). "
                "Mitään ei tallennettu. Muutokset ovat alla: tarkista ne, ja jos muutoksesi on yhä tarpeen, "
                "tallenna lomake uudelleen."
            )
            % {"who": who or "–", "when": when},
            details={"expected_version": expected_version, "current_version": current["version"], "changes": changes},
        )
    ]
    for change in changes:
        label = obj._meta.get_field(change["field"]).verbose_name
        problems.append(
            Problem(
                "stale_version_change",
                f"{str(label).capitalize()}: {_shown(change['field'], change['old'], since)}"
                f" → {_shown(change['field'], change['current'], True)}",
                details=change,
            )
        )
    return DomainError(problems)


def _shown(name: str, value: Any, known: Any) -> str:
    """A stored value as the user reads it: dates in the local format, category names, – for nothing."""
    if not known:
        return "?"
    if value in (None, ""):
        return "–"
    if isinstance(value, bool):
        return str(_("kyllä") if value else _("ei"))
    if name in {"enrollment_opens", "enrollment_cutoff", "cutoff_decision_date"}:
        return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    if name == "need_categories":
        ids = [int(pk) for pk in str(value).split(",") if pk]
        return ", ".join(str(c.name) for c in NeedCategory.objects.filter(pk__in=ids)) or "–"
    if name == "kind":
        return str(RuleKind(value).label)
    return str(value)


def investor_create(*, actor: User, name: str, category: str, business_id: str = "") -> Investor:
    """A new investor organisation of the fund."""
    investor = Investor(name=name.strip(), business_id=business_id.strip(), category=category)
    investor.full_clean()
    investor.save()
    audit_record(
        actor=actor, event_type="investor.created", obj=investor, new={"name": investor.name, "category": category}
    )
    return investor


def investor_flow_record(
    *,
    actor: User,
    fund: Fund,
    investor: Investor,
    kind: str,
    amount: Decimal,
    occurred_on: datetime.date,
    note: str = "",
) -> InvestorFlow:
    """Record a commitment, a draw-down or a distribution. A draw-down may not take an investor past what it has
    committed to the fund; nothing is dated in the future. The investor row is locked so that two draw-downs
    recorded at once cannot both pass the check."""
    if occurred_on > timezone.localdate():
        raise DomainError(Problem("date_in_future", _("Päivä ei voi olla tulevaisuudessa.")), field_name="occurred_on")
    with transaction.atomic():
        Investor.objects.select_for_update().get(pk=investor.pk)
        if kind == InvestorFlowKind.DRAWDOWN:
            totals = InvestorFlow.objects.filter(fund=fund, investor=investor).aggregate(
                committed=Sum("amount", filter=Q(kind=InvestorFlowKind.COMMITMENT), default=Decimal("0")),
                drawn=Sum("amount", filter=Q(kind=InvestorFlowKind.DRAWDOWN), default=Decimal("0")),
            )
            if totals["drawn"] + amount > totals["committed"]:
                raise DomainError(
                    Problem(
                        "drawdown_exceeds_commitment",
                        _("Pääomakutsu ylittää sijoittajan sitoumuksen (sitoumusta jäljellä %(left)s EUR).")
                        % {"left": formats.number_format(totals["committed"] - totals["drawn"], 2)},
                        {"committed": totals["committed"], "drawn": totals["drawn"]},
                    ),
                    field_name="amount",
                )
        flow = InvestorFlow(
            fund=fund,
            investor=investor,
            kind=kind,
            amount=amount,
            occurred_on=occurred_on,
            note=note.strip(),
            recorded_by=actor,
        )
        flow.full_clean()
        flow.save()
        audit_record(
            actor=actor,
            event_type=f"investor_flow.{kind}",
            obj=flow,
            new={"fund": fund.pk, "investor": investor.pk, "kind": kind, "amount": amount, "on": occurred_on},
            reason=note.strip(),
        )
    return flow
