"""The evidence an evaluator attaches to a sample check can be opened again (by evaluators and admins, who see the
sample), and each opening is a row in the access log: the file is a source record about a child."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments.models import SampleItemOutcome, StatementKind
from payments.services.sampling import sample_draw, sample_item_check
from payments.services.statements import statement_calculate
from sibcase.models import AccessAction, AccessLogEntry, Role

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date
PDF = b"%PDF-1.4 source record"


@pytest.fixture
def evaluator(db):
    return UserFactory(role=Role.EVALUATOR, municipality=None)


@pytest.fixture
def item(worked_example, evaluator):
    statement = statement_calculate(
        programme=worked_example["programme"],
        kind=StatementKind.ANNUAL,
        period_start=D(2024, 1, 1),
        period_end=D(2024, 12, 31),
    )
    item = sample_draw(actor=evaluator, statement=statement).items.first()
    evidence = SimpleUploadedFile("ote.pdf", PDF, content_type="application/pdf")
    return sample_item_check(actor=evaluator, item=item, outcome=SampleItemOutcome.CONFIRMED, evidence=evidence)


def _url(item) -> str:
    return reverse("payments:sample_evidence", args=[item.sample.statement_id, item.pk])


def test_the_evaluator_opens_the_evidence_and_the_opening_is_logged(client, evaluator, item):
    client.force_login(evaluator)
    response = client.get(_url(item))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"] and response["X-Content-Type-Options"] == "nosniff"
    row = AccessLogEntry.objects.get(user=evaluator, action=AccessAction.VIEW)
    assert row.family_id == item.observation.child.family_id


def test_the_statement_page_links_the_evidence(client, evaluator, item):
    client.force_login(evaluator)
    page = client.get(reverse("payments:statement_detail", args=[item.sample.statement_id])).content.decode()
    assert f'href="{_url(item)}"' in page


def test_a_coordinator_cannot_open_the_evidence(client, worked_example, item):
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[worked_example["programme"]])
    client.force_login(coordinator)
    assert client.get(_url(item)).status_code == 403
    assert not AccessLogEntry.objects.filter(user=coordinator, action=AccessAction.VIEW).exists()


def test_an_item_without_evidence_answers_404(client, evaluator, item):
    other = item.sample.items.exclude(pk=item.pk).first()
    client.force_login(evaluator)
    assert client.get(_url(other)).status_code == 404


def test_an_item_of_another_statement_answers_404(client, evaluator, item, worked_example):
    other_statement = statement_calculate(
        programme=worked_example["programme"],
        kind=StatementKind.ANNUAL,
        period_start=D(2023, 1, 1),
        period_end=D(2023, 12, 31),
    )
    client.force_login(evaluator)
    url = reverse("payments:sample_evidence", args=[other_statement.pk, item.pk])
    assert client.get(url).status_code == 404
