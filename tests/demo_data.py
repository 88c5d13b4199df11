"""The demo data (seed_demo), seeded once per test run and copied for each module that uses it.

When the collected tests use the demo data, the test database gets a twin when it is made: ``<test db>_demo``, a
copy of the freshly migrated, empty database (``prepare_demo_database``, called from tests/conftest.py). The first
test process of the run that needs the demo data seeds its twin, once, and renames it to the run's shared demo
database (``test_sibcase_demo``); a file lock makes the other processes (pytest-xdist) wait for it and use it too.
Each module then works on its own copy of the shared database (PostgreSQL's ``CREATE DATABASE … TEMPLATE``, a
fraction of a second), with Django's connection pointed at the copy for the module's duration, and the copy is
dropped afterwards. Each test still runs in its own transaction (pytest-django's ``db``); what a live-server test
commits stays in its module's copy.

A test or fixture asks for ``demo_data`` (tests/conftest.py registers it).
"""

from __future__ import annotations

import fcntl
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

# The run's id: one for all pytest-xdist processes of a run, so a shared demo database left by an earlier (killed)
# run is recognised as stale and made again.
RUN = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex


def _demo_name(test_database: str) -> str:
    return f"{test_database}_demo"


def _shared_name(test_database: str) -> str:
    """The run's shared seeded database: the test database's name without pytest-xdist's ``_gw<n>``."""
    return _demo_name(re.sub(r"_gw\d+$", "", test_database))


def _execute_outside(sql: str) -> None:
    """CREATE, ALTER and DROP DATABASE run on a connection of their own to the server's maintenance database."""
    db = connection.settings_dict
    server = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"] or 5432
    )
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            cursor.execute(sql)
    finally:
        server.close()


def _copy(name: str, template: str) -> None:
    # The template may have no other session: ours is closed first (the copies are made while nothing else runs).
    connection.close()
    _drop(name)
    _execute_outside(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY WAL_LOG')


def _drop(name: str) -> None:
    # FORCE: a live-server thread of the module may still hold an idle connection to its copy.
    _execute_outside(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _connected_to(name: str) -> Iterator[None]:
    """Django's default connection (and any thread's new one: they share the settings dict) uses ``name``."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    for cache in caches.all():  # the aggregate caches must not answer with another database's figures
        cache.clear()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original
        for cache in caches.all():
            cache.clear()


def prepare_demo_database() -> str:
    """An empty copy of the just-migrated test database, to be seeded when first needed. Made before any test runs,
    when no other session holds the test database (a template must have none)."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The demo-data tests copy databases: run the suite on PostgreSQL (DATABASE_URL).")
    name = _demo_name(connection.settings_dict["NAME"])
    _copy(name, connection.settings_dict["NAME"])
    return name


def drop_demo_database() -> None:
    connection.close()
    _drop(_demo_name(connection.settings_dict["NAME"]))


def drop_shared_demo_database(test_database: str) -> None:
    """At the end of the run (the process that started it): the shared seeded database goes too."""
    _drop(_shared_name(test_database))
    _marker(test_database).unlink(missing_ok=True)


def _marker(test_database: str) -> Path:
    return Path(tempfile.gettempdir()) / f"sibcase-{_shared_name(test_database)}.run"


@contextmanager
def _run_lock(test_database: str) -> Iterator[None]:
    with open(Path(tempfile.gettempdir()) / f"sibcase-{_shared_name(test_database)}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def demo_template(django_db_setup, django_db_blocker) -> str:
    """The run's seeded demo database: seeded by the first process that needs it, never changed afterwards."""
    test_database = connection.settings_dict["NAME"]
    shared, marker = _shared_name(test_database), _marker(test_database)
    with django_db_blocker.unblock(), _run_lock(test_database):
        if not marker.exists() or marker.read_text() != RUN:
            own = _demo_name(test_database)
            with _connected_to(own):
                call_command("seed_demo", verbosity=0)
            if own != shared:  # one process only (no pytest-xdist): its twin is the shared database
                _drop(shared)  # an earlier run's, if it was stopped before it could drop it
                _execute_outside(f'ALTER DATABASE "{own}" RENAME TO "{shared}"')
            marker.write_text(RUN)
    return shared


@pytest.fixture(scope="module")
def demo_data(demo_template, django_db_blocker) -> Iterator[None]:
    """The module runs on its own copy of the seeded demo database."""
    test_database = connection.settings_dict["NAME"]
    copy = f"{test_database}_demo_module"  # the process's own (pytest-xdist runs several)
    with django_db_blocker.unblock(), _run_lock(test_database):  # one copy of the template at a time
        _copy(copy, demo_template)
    with _connected_to(copy):
        yield
    with django_db_blocker.unblock():
        _drop(copy)
