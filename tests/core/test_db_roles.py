"""bin/db_roles.sh: the app's database role can add to the audit trail and the access log but never rewrite them.

The script creates an owner and an app role in the test database, as in production; the test then connects
Django as the app role and tries what an attacker holding the app's credentials would.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import DatabaseError, connection, transaction

from sibcase.audit import access_log_record, audit_record
from sibcase.models import AccessAction, AccessLogEntry, AuditEvent

from ..factories import AccessLogEntryFactory, AuditEventFactory, FamilyFactory, UserFactory

SCRIPT = Path(__file__).resolve().parents[2] / "bin" / "db_roles.sh"
LOG_TABLES = [AuditEvent._meta.db_table, AccessLogEntry._meta.db_table]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="roles and grants are PostgreSQL's"),
]


def _admin_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _script(step: str, owner: str, app: str) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": _admin_url(),
        "DB_OWNER_ROLE": owner,
        "DB_APP_ROLE": app,
        "DB_OWNER_PASSWORD": uuid.uuid4().hex,
        "DB_APP_PASSWORD": uuid.uuid4().hex,
    }
    subprocess.run(["sh", str(SCRIPT), step], env=env, check=True, capture_output=True)  # noqa: S603, S607


@pytest.fixture
def as_app_role(transactional_db):
    """Roles made by the script (create, then grant as after migrate); Django connected as the app role."""
    suffix = uuid.uuid4().hex[:8]
    owner, app = f"sibcase_test_owner_{suffix}", f"sibcase_test_app_{suffix}"
    superuser, database = connection.settings_dict["USER"], connection.settings_dict["NAME"]
    AuditEventFactory()
    AccessLogEntryFactory()
    _script("create", owner, app)
    _script("grant", owner, app)
    connection.close()
    connection.settings_dict["USER"] = app
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app
        yield app
    finally:
        connection.close()
        connection.settings_dict["USER"] = superuser
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" OWNER TO "{superuser}"')
            cursor.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO PUBLIC')
            cursor.execute("GRANT CREATE ON SCHEMA public TO PUBLIC")
            cursor.execute(f'REASSIGN OWNED BY "{owner}", "{app}" TO "{superuser}"')
            cursor.execute(f'DROP OWNED BY "{owner}"')  # one role at a time: their default ACL entry is shared
            cursor.execute(f'DROP OWNED BY "{app}"')
            cursor.execute(f'DROP ROLE "{owner}"')
            cursor.execute(f'DROP ROLE "{app}"')


def _refused(sql: str) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    except DatabaseError as exc:
        return "permission denied" in str(exc) or "must be owner" in str(exc)
    return False


@pytest.mark.parametrize("table", LOG_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}", "TRUNCATE {table}"])
def test_app_role_cannot_rewrite_the_logs(as_app_role, table, statement):
    assert _refused(statement.format(table=table))


def test_app_role_cannot_switch_replication_role_to_skip_triggers(as_app_role):
    assert _refused("SET session_replication_role = replica")


@pytest.mark.parametrize("table", LOG_TABLES)
def test_app_role_cannot_disable_the_append_only_trigger(as_app_role, table):
    assert _refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    assert _refused(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")


def test_app_role_cannot_record_a_migration(as_app_role):
    assert _refused("DELETE FROM django_migrations")


def test_app_role_writes_what_the_app_writes(as_app_role):
    user = UserFactory()
    family = FamilyFactory()
    family.reference = "renamed"
    family.save(update_fields=["reference"])
    audit_record(actor=user, event_type="test.roles", obj=family)
    access_log_record(user=user, action=AccessAction.VIEW, basis="asiakassuhde", family_id=family.pk)
    FamilyFactory().delete()
    assert AuditEvent.objects.filter(event_type="test.roles").count() == 1
    assert AccessLogEntry.objects.filter(user=user).count() == 1


def test_migrations_run_as_the_owner_role_in_a_fresh_database():
    """The production path: roles created in an empty database, `migrate` as the owner (extensions, triggers and
    all, no superuser), then `grant` as the owner; every table belongs to the owner, the app role can read them."""
    suffix = uuid.uuid4().hex[:8]
    owner, app, database = f"sibcase_test_owner_{suffix}", f"sibcase_test_app_{suffix}", f"sibcase_roles_{suffix}"
    db = connection.settings_dict
    server = f"postgres://{{user}}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{{name}}"
    admin = psycopg2.connect(server.format(user=db["USER"], name="postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{database}"')
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sibcase.settings.test",
        "DB_OWNER_ROLE": owner,
        "DB_APP_ROLE": app,
        "DB_OWNER_PASSWORD": "o",
        "DB_APP_PASSWORD": "a",
    }
    try:
        run = {"env": env, "check": True, "capture_output": True, "cwd": SCRIPT.parents[1]}
        as_superuser = {**env, "DATABASE_URL": server.format(user=db["USER"], name=database)}
        subprocess.run(["sh", str(SCRIPT), "create"], **{**run, "env": as_superuser})  # noqa: S603, S607
        as_owner = {**env, "DATABASE_URL": server.format(user=owner, name=database)}
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], **{**run, "env": as_owner})  # noqa: S603
        subprocess.run(["sh", str(SCRIPT), "grant"], **{**run, "env": as_owner})  # noqa: S603, S607
        check = psycopg2.connect(server.format(user=app, name=database))
        with check.cursor() as cursor:
            cursor.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
            assert cursor.fetchall() == [(owner,)]
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert cursor.fetchone()[0] > 0
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cursor.execute("DELETE FROM sibcase_accesslogentry")
        check.close()
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            cursor.execute(f'DROP ROLE IF EXISTS "{owner}"')
            cursor.execute(f'DROP ROLE IF EXISTS "{app}"')
        admin.close()
