"""The access log and the audit trail are hash chains: `verify_logs` finds a row altered, deleted or inserted by
someone with direct database access (simulated here by a superuser who switches the append-only trigger off)."""

import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction

from sibcase.audit import access_log_record, access_log_record_many, audit_record
from sibcase.log_chain import GENESIS
from sibcase.models import AccessLogEntry, AuditEvent

from ..factories import AccessLogEntryFactory, AuditEventFactory, FamilyFactory, UserFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")


def _verify() -> str:
    out = StringIO()
    call_command("verify_logs", stdout=out)
    return out.getvalue()


def _as_attacker(table: str, sql: str, params: list) -> None:
    """Raw SQL with the append-only trigger switched off, as the table owner could."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks block ALTER TABLE
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(sql, params)
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def test_each_row_is_chained_to_the_previous_one():
    first, second = AccessLogEntryFactory(), AccessLogEntryFactory()
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.row_hash
    assert len(second.row_hash) == 64


def test_bulk_written_rows_are_chained_too():
    user, families = UserFactory(), FamilyFactory.create_batch(3)
    access_log_record(user=user, action="view", basis="b", family_id=families[0].pk)
    access_log_record_many(user=user, action="list", basis="b", family_ids=[f.pk for f in families])
    rows = list(AccessLogEntry.objects.order_by("id"))
    assert len(rows) == 4
    assert [row.prev_hash for row in rows[1:]] == [row.row_hash for row in rows[:-1]]


def test_untouched_chains_pass():
    AccessLogEntryFactory.create_batch(3)
    family = FamilyFactory()
    audit_record(actor=UserFactory(), event_type="t", obj=family, old={"a": 1}, new={"a": "ä", "b": None})
    out = _verify()
    assert "OK" in out
    assert "4" in out


@postgres_only
def test_an_altered_access_log_row_is_found():
    rows = AccessLogEntryFactory.create_batch(3)
    _as_attacker(
        AccessLogEntry._meta.db_table, "UPDATE sibcase_accesslogentry SET basis = %s WHERE id = %s", ["x", rows[1].pk]
    )
    with pytest.raises(CommandError, match=f"#{rows[1].pk}"):
        _verify()


@postgres_only
def test_a_deleted_audit_row_is_found():
    events = AuditEventFactory.create_batch(3)
    _as_attacker(AuditEvent._meta.db_table, "DELETE FROM sibcase_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(CommandError, match=f"#{events[2].pk}"):
        _verify()


@postgres_only
def test_a_row_inserted_out_of_chain_is_found():
    rows = AccessLogEntryFactory.create_batch(2)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sibcase_accesslogentry (occurred_at, user_id, user_role, action, family_id, person_type,"
            " basis, path, recipient, target, prev_hash, row_hash)"
            " SELECT occurred_at, user_id, user_role, action, family_id, person_type, basis, path, recipient, target,"
            " prev_hash, row_hash FROM sibcase_accesslogentry WHERE id = %s RETURNING id",
            [rows[0].pk],
        )
        inserted = cursor.fetchone()[0]
    with pytest.raises(CommandError, match=f"#{inserted}"):
        _verify()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_writers_keep_one_valid_chain():
    user, family = UserFactory(), FamilyFactory()
    errors = []

    def write(n: int) -> None:
        try:
            for i in range(10):
                if i % 3:
                    access_log_record(user=user, action="view", basis=f"t{n}", family_id=family.pk)
                else:
                    with transaction.atomic():
                        audit_record(actor=user, event_type=f"t{n}", obj=family)
                        access_log_record_many(user=user, action="list", basis=f"t{n}", family_ids=[family.pk])
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert AccessLogEntry.objects.count() == 60
    assert "OK" in _verify()
