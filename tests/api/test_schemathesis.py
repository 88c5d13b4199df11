"""schemathesis against the generated OpenAPI schema, with an authenticated caller: no 5xx, responses as documented.

The caller is an admin (the widest scope), so generated requests reach the services rather than stopping at 403.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sibcase.api_tokens import api_token_create
from sibcase.models import Role

from ..factories import UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def keep_test_connection():
    # Like Django's test client: the WSGI handler must not close the connection holding the test transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(db, enrolled_family, metric):
    user = UserFactory(role=Role.ADMIN, municipality=None, is_staff=True, is_superuser=True)
    return api_token_create(user=user)


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_api_conforms_to_its_schema(case, admin_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"},
        checks=[content_type_conformance, response_schema_conformance, status_code_conformance],
    )
