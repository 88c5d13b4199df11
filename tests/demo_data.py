"""The demo data (seed_demo), seeded once per test process and copied for each module that uses it.

When the collected tests use the demo data, the test database gets a twin when it is made: ``<test db>_demo``, a
copy of the freshly migrated, empty database (``prepare_demo_database``, called from tests/conftest.py). The first
module that asks for ``demo_data`` seeds that twin, once. Each module then works on its own copy of the seeded
twin (PostgreSQL's ``CREATE DATABASE … TEMPLATE``, a fraction of a second), with Django's connection pointed at the
copy for the module's duration, and the copy is dropped afterwards. Each test still runs in its own transaction
(pytest-django's ``db``); what a live-server test commits stays in its module's copy.

A test or fixture asks for ``demo_data`` (tests/conftest.py registers it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection


def _demo_name(test_database: str) -> str:
    return f"{test_database}_demo"


def _execute_outside(sql: str) -> None:
    """CREATE and DROP DATABASE run on a connection to the server's maintenance database, outside a transaction."""
    with connection._nodb_cursor() as cursor:
        cursor.execute(sql)


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


@pytest.fixture(scope="session")
def demo_template(django_db_setup, django_db_blocker) -> str:
    """The test process's seeded demo database (seeded on first use, never changed afterwards)."""
    name = _demo_name(connection.settings_dict["NAME"])
    with django_db_blocker.unblock(), _connected_to(name):
        call_command("seed_demo", verbosity=0)
    return name


@pytest.fixture(scope="module")
def demo_data(demo_template, django_db_blocker) -> Iterator[None]:
    """The module runs on its own copy of the seeded demo database."""
    copy = f"{demo_template}_module"
    with django_db_blocker.unblock():
        _copy(copy, demo_template)
    with _connected_to(copy):
        yield
    with django_db_blocker.unblock():
        _drop(copy)
