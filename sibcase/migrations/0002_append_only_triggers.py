"""On PostgreSQL the database itself refuses UPDATE and DELETE on the audit trail and the access log, so no
code path (raw SQL, a bulk update, a careless admin action) can rewrite history. TRUNCATE is left to the
table owner (test-database flushes use it); the production app role does not own the tables (README)."""

from django.db import migrations

TABLES = ["sibcase_auditevent", "sibcase_accesslogentry"]

FORWARD = """
CREATE OR REPLACE FUNCTION sibcase_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% rows are append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION sibcase_refuse_change();
"""
    for table in TABLES
)

BACKWARD = "".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
    for table in TABLES
) + "DROP FUNCTION IF EXISTS sibcase_refuse_change();"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("sibcase", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
