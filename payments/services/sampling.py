"""The evaluator's verification of a statement by sampling, before validation.

The sample size comes from a confidence level and a margin of error (Cochran's formula for a proportion with
p = 0.5, with the finite-population correction), as UNICEF's HOPE does for payment verification. The draw is a
seeded `random.Random(seed).sample` over the statement's observation ids in ascending order: the seed and a hash of
the population are stored, so anyone can reproduce it. Each sampled observation is confirmed against the source
record or disputed with a note (and optionally an evidence file); a disputed one is then voided or corrected through
the observation services and the draft recalculated. Validation is refused until every item is checked and every
dispute resolved.
"""

from __future__ import annotations

import hashlib
import math
import random
import secrets
from decimal import Decimal
from statistics import NormalDist

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcomes.models import OutcomeObservation
from outcomes.services import observation_correct, observation_void
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import Role, User

from ..models import (
    PaymentStatement,
    SampleItemOutcome,
    StatementKind,
    StatementSample,
    StatementSampleItem,
    StatementStatus,
)
from .calculate import cohort_observations, last_counted_day

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = {"application/pdf", "image/png", "image/jpeg"}


def sample_size(*, population: int, confidence: Decimal, margin: Decimal) -> int:
    """n = n0 / (1 + (n0 − 1) / N) with n0 = z² · 0.25 / e², rounded up; never more than the population."""
    if population <= 0:
        return 0
    z = NormalDist().inv_cdf(1 - (1 - float(confidence)) / 2)
    n0 = z * z * 0.25 / (float(margin) ** 2)
    return min(population, math.ceil(n0 / (1 + (n0 - 1) / population)))


def statement_population(*, statement: PaymentStatement) -> list[int]:
    """The ids of the observations the statement's lines count, ascending."""
    if statement.kind == StatementKind.TRUE_UP:
        return []
    last_day = last_counted_day(statement.programme, statement.period_start, statement.period_end)
    return list(
        cohort_observations(programme=statement.programme, period_start=statement.period_start, last_day=last_day)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _population_exists(*, statement: PaymentStatement) -> bool:
    """Whether statement_population is non-empty, without reading it (a year's observations of a programme)."""
    if statement.kind == StatementKind.TRUE_UP:
        return False
    last_day = last_counted_day(statement.programme, statement.period_start, statement.period_end)
    return cohort_observations(
        programme=statement.programme, period_start=statement.period_start, last_day=last_day
    ).exists()


def draw(*, population: list[int], size: int, seed: int) -> list[int]:
    return sorted(random.Random(seed).sample(population, size))  # noqa: S311 - reproducible by design, not secret


def _population_hash(population: list[int]) -> str:
    return hashlib.sha256(",".join(map(str, population)).encode()).hexdigest()


def _require_evaluator(actor: User) -> None:
    if not (actor.is_superuser or actor.role in (Role.EVALUATOR, Role.ADMIN)):
        raise DomainError(Problem("not_allowed", _("Vain arvioija voi tarkastaa laskelman otannalla.")))


def sample_draw(
    *,
    actor: User,
    statement: PaymentStatement,
    confidence: Decimal | None = None,
    margin: Decimal | None = None,
    seed: int | None = None,
) -> StatementSample:
    _require_evaluator(actor)
    confidence = confidence if confidence is not None else settings.SIBCASE["SAMPLE_CONFIDENCE"]
    margin = margin if margin is not None else settings.SIBCASE["SAMPLE_MARGIN"]
    if not (Decimal("0") < confidence < Decimal("1") and Decimal("0") < margin < Decimal("1")):
        raise DomainError(Problem("invalid_sample_parameters", _("Luottamustason ja virhemarginaalin on oltava 0–1.")))
    with transaction.atomic():
        statement = PaymentStatement.objects.select_for_update().get(pk=statement.pk)
        if statement.status != StatementStatus.DRAFT or statement.kind == StatementKind.PREVIEW:
            raise DomainError(Problem("sample_not_draft", _("Otos poimitaan luonnoksena olevasta laskelmasta.")))
        if StatementSample.objects.filter(statement=statement).exists():
            raise DomainError(Problem("sample_exists", _("Laskelmasta on jo poimittu otos.")))
        population = statement_population(statement=statement)
        size = sample_size(population=len(population), confidence=confidence, margin=margin)
        seed = seed if seed is not None else secrets.randbits(62)
        sample = StatementSample.objects.create(
            statement=statement,
            seed=seed,
            confidence=confidence,
            margin=margin,
            population=len(population),
            size=size,
            population_hash=_population_hash(population),
            drawn_by=actor,
        )
        chosen = draw(population=population, size=size, seed=seed)
        values = dict(statement_values(chosen))
        StatementSampleItem.objects.bulk_create(
            [StatementSampleItem(sample=sample, observation_id=pk, value_at_draw=values[pk]) for pk in chosen]
        )
        audit_record(
            actor=actor,
            event_type="statement.sample_drawn",
            obj=statement,
            new={"seed": seed, "population": len(population), "size": size, "confidence": confidence, "margin": margin},
        )
    return sample


def statement_values(ids: list[int]):
    return OutcomeObservation.objects.filter(pk__in=ids).values_list("pk", "value")


def _check_evidence(evidence: UploadedFile | None) -> None:
    if evidence is None:
        return
    if evidence.size > EVIDENCE_MAX_BYTES or evidence.content_type not in EVIDENCE_TYPES:
        raise DomainError(
            Problem("evidence_invalid", _("Liitteen on oltava PDF-, PNG- tai JPEG-tiedosto ja enintään 10 Mt.")),
            field_name="evidence",
        )


def sample_item_check(
    *,
    actor: User,
    item: StatementSampleItem,
    outcome: str,
    note: str = "",
    evidence: UploadedFile | None = None,
) -> StatementSampleItem:
    """Record the check of one sampled observation against its source: confirmed, or disputed with a note."""
    _require_evaluator(actor)
    if outcome not in (SampleItemOutcome.CONFIRMED, SampleItemOutcome.DISPUTED):
        raise DomainError(Problem("invalid_outcome", _("Valitse vahvistettu tai kiistetty.")), field_name="outcome")
    if outcome == SampleItemOutcome.DISPUTED and not note.strip():
        raise DomainError(Problem("note_required", _("Kirjaa kiistämisen syy.")), field_name="note")
    _check_evidence(evidence)
    with transaction.atomic():
        item = StatementSampleItem.objects.select_for_update().select_related("sample__statement").get(pk=item.pk)
        if item.sample.statement.status != StatementStatus.DRAFT:
            raise DomainError(Problem("sample_not_draft", _("Otos tarkastetaan ennen laskelman tarkastusta.")))
        old = item.outcome
        item.outcome, item.note, item.checked_at, item.checked_by = outcome, note.strip(), timezone.now(), actor
        item.resolved = False
        fields = ["outcome", "note", "checked_at", "checked_by", "resolved"]
        if evidence is not None:
            item.evidence = evidence
            fields.append("evidence")
        item.save(update_fields=fields)
        audit_record(
            actor=actor,
            event_type="statement.sample_item_checked",
            obj=item.sample.statement,
            old={"item": item.pk, "outcome": old},
            new={"item": item.pk, "outcome": outcome},
            reason=item.note,
        )
    return item


def sample_item_resolve(
    *, actor: User, item: StatementSampleItem, action: str, reason: str, value: Decimal | None = None
) -> StatementSampleItem:
    """Settle a disputed observation: void it (it no longer counts) or correct its value, through the observation
    services (history kept). The draft must then be recalculated; validation checks that it was."""
    _require_evaluator(actor)
    if item.outcome != SampleItemOutcome.DISPUTED:
        raise DomainError(Problem("not_disputed", _("Vain kiistetyn havainnon voi korjata tai poistaa.")))
    with transaction.atomic():
        observation = OutcomeObservation.objects.get(pk=item.observation_id)
        if action == "exclude":
            observation_void(actor=actor, observation=observation, reason=reason)
        elif action == "correct":
            if value is None:
                raise DomainError(Problem("value_required", _("Anna korjattu arvo.")), field_name="value")
            observation_correct(actor=actor, observation=observation, value=value, reason=reason)
        else:
            raise DomainError(Problem("invalid_action", _("Valitse poisto tai korjaus.")))
        StatementSampleItem.objects.filter(pk=item.pk).update(resolved=True)
        item.resolved = True
    return item


_READ = object()  # sample_problems' default: read the statement's sample


def sample_problems(
    *, statement: PaymentStatement, sample: StatementSample | None | object = _READ, items: list | None = None
) -> list[Problem]:
    """Why the statement cannot be validated yet as far as the verification sample goes (empty: it can). A page
    that has read the sample (None: there is none) and its items already passes them."""
    if sample is _READ:
        sample = StatementSample.objects.filter(statement=statement).first()
    if sample is None:
        if _population_exists(statement=statement):
            return [Problem("sample_missing", _("Poimi ja tarkasta otos ennen laskelman tarkastusta."))]
        return []
    assert isinstance(sample, StatementSample)
    items = list(sample.items.all()) if items is None else items
    problems = []
    if any(item.outcome == SampleItemOutcome.PENDING for item in items):
        problems.append(Problem("sample_incomplete", _("Otoksen kaikkia havaintoja ei ole tarkastettu.")))
    if any(item.outcome == SampleItemOutcome.DISPUTED and not item.resolved for item in items):
        problems.append(
            Problem("sample_disputes_open", _("Kiistetyt havainnot on korjattava tai poistettava ennen tarkastusta."))
        )
    resolved_after = max((item.checked_at for item in items if item.resolved and item.checked_at), default=None)
    if resolved_after is not None and statement.calculated_at and statement.calculated_at < resolved_after:
        problems.append(
            Problem("recalculation_needed", _("Havaintoja korjattiin otannassa: laske laskelma uudelleen."))
        )
    return problems


def sample_result(*, sample: StatementSample, items: list | None = None) -> dict:
    """Checked, confirmed and disputed counts and the error rate (disputed / checked)."""
    if items is None:
        outcomes = list(sample.items.values_list("outcome", flat=True))
    else:
        outcomes = [item.outcome for item in items]
    checked = sum(1 for outcome in outcomes if outcome != SampleItemOutcome.PENDING)
    disputed = sum(1 for outcome in outcomes if outcome == SampleItemOutcome.DISPUTED)
    return {
        "size": len(outcomes),
        "checked": checked,
        "confirmed": checked - disputed,
        "disputed": disputed,
        "error_rate": (Decimal(disputed) / Decimal(checked)).quantize(Decimal("0.0001")) if checked else None,
    }
