"""The demo data (seed_demo) seeded once per test module instead of once per test.

The seed runs inside a transaction that spans the module, as Django's `TestCase.setUpTestData` does: each test
runs in a savepoint inside it (pytest-django's `db`), so what a test changes is rolled back after it, and the whole
seed is rolled back after the module. Import the fixture into a test module: `from tests.demo_data import demo_data`.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def demo_data(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        module_transaction = transaction.atomic()
        module_transaction.__enter__()
        try:
            call_command("seed_demo", verbosity=0)
        except BaseException:
            transaction.set_rollback(True)
            module_transaction.__exit__(None, None, None)
            raise
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        module_transaction.__exit__(None, None, None)
