import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from sibcase.models import Role

from .demo_data import (  # noqa: F401 - demo_data and demo_template are fixtures
    demo_data,
    demo_template,
    drop_demo_database,
    drop_shared_demo_database,
    prepare_demo_database,
)
from .factories import MunicipalityFactory, UserFactory
from .otp_support import confirmed_totp_device


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """``client.force_login(user)`` gives a session that also passed the second factor, as a real sign-in would:
    the user gets a real confirmed TOTP device and the session records it (what django_otp.login does). The check
    itself is untouched; tests/core/test_otp.py signs in with a password only and with codes."""
    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = confirmed_totp_device(user).persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """The test database, and its empty twin for the demo data when a collected test uses it (tests/demo_data.py)."""
    wanted = any("demo_data" in item.fixturenames for item in request.session.items)
    if wanted:
        with django_db_blocker.unblock():
            prepare_demo_database()
    yield
    if wanted:
        with django_db_blocker.unblock():
            drop_demo_database()


# pytest-xdist hands out whole test files in collection order (pytest-django then moves the transactional ones to the
# end, keeping the order within each group). A one-minute file handed out last keeps one process busy while the
# other idles, so the longest files go first. The demo-data files are spread out: the first one seeds the run's demo
# database while the other process runs long files of its own (tests/demo_data.py).
LONGEST_FIRST = [
    "tests/core/test_no_internal_codes.py",
    "tests/families/test_access_sweep.py",
    "tests/api/test_schemathesis.py",
    "tests/core/test_admin.py",
    "tests/core/test_seed_demo.py",
    "tests/browser/test_role_walks.py",
    "tests/browser/test_narrow_screen.py",
    "tests/core/test_db_roles.py",
    "tests/faults/test_payment_runs.py",
]


@pytest.hookimpl(tryfirst=True)  # before pytest-django's (also tryfirst; a conftest's runs first), whose sort is stable
def pytest_collection_modifyitems(items):
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(LONGEST_FIRST)))


def pytest_sessionfinish(session):
    """Each process removes its throwaway upload folder (the test settings make one per process); the process that
    started a pytest-xdist run drops the run's shared demo database (tests/demo_data.py)."""
    media = Path(settings.MEDIA_ROOT)
    if media.parent == Path(tempfile.gettempdir()) and media.name.startswith("sibcase-test-files-"):  # never real files
        shutil.rmtree(media, ignore_errors=True)
    if session.config.pluginmanager.hasplugin("dsession"):  # the controller; it has no test database of its own
        drop_shared_demo_database(f"test_{connection.settings_dict['NAME']}")


@pytest.fixture
def municipality(db):
    return MunicipalityFactory(code="092", name_fi="Vantaa", name_sv="Vanda")


@pytest.fixture
def social_worker(municipality):
    return UserFactory(role=Role.SOCIAL_WORKER, municipality=municipality)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN, municipality=None, is_staff=True, is_superuser=True)


@pytest.fixture
def use_broker(monkeypatch):
    """Point the Celery app at a given broker URL, not eager, for one test.

    Celery reads the CELERY_BROKER_URL environment variable before app.conf, so both are switched, and pooled
    connections are dropped so the next publish connects to the new URL. Everything is restored afterwards.
    """
    from kombu import pools

    from sibcase.celery import app

    def drop_connections() -> None:
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    saved = (app.conf.broker_url, app.conf.task_always_eager)

    def switch(url: str) -> None:
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        app.conf.broker_url, app.conf.task_always_eager = url, False
        drop_connections()

    yield switch
    app.conf.broker_url, app.conf.task_always_eager = saved
    drop_connections()
