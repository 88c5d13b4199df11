import datetime

import pytest
from django.urls import reverse

from sibcase.models import Role

from ..factories import EnrollmentFactory, ProgrammeFactory, UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def test_monthly_chart_shows_the_empty_months_between_enrollments(client):
    programme = ProgrammeFactory(enrollment_opens=D(2020, 1, 1))
    EnrollmentFactory(programme=programme, enrolled_on=D(2024, 1, 10))
    EnrollmentFactory(programme=programme, enrolled_on=D(2024, 4, 10))
    client.force_login(UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme]))
    response = client.get(reverse("programs:detail", args=[programme.pk]))
    labels = [label for label, _ in response.context["chart_data"]]
    assert labels[:4] == ["01/2024", "02/2024", "03/2024", "04/2024"]
