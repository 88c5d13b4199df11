import pytest
from django.db import InternalError, ProgrammingError, connection, transaction

from sibcase.models import AccessLogEntry, AuditEvent

from ..factories import AccessLogEntryFactory, AuditEventFactory

pytestmark = pytest.mark.django_db


def test_audit_event_cannot_be_saved_again():
    event = AuditEventFactory()
    event.event_type = "rewritten"
    with pytest.raises(PermissionError):
        event.save()


def test_access_log_entry_cannot_be_deleted_through_the_orm():
    entry = AccessLogEntryFactory()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AccessLogEntry.objects.filter(pk=entry.pk).delete()


def test_access_log_cannot_be_bulk_updated():
    AccessLogEntryFactory()
    with pytest.raises(PermissionError):
        AccessLogEntry.objects.update(basis="x")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
@pytest.mark.parametrize("table", [AuditEvent._meta.db_table, AccessLogEntry._meta.db_table])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_database_refuses_raw_changes(table, statement):
    AuditEventFactory()
    AccessLogEntryFactory()
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))
