from django.db import migrations

# The chain's lock and head in one call (sibcase/log_chain.py): the head is read by a statement of its own inside a
# VOLATILE function, whose snapshot is taken after the advisory lock is held, so it sees the rows of the writer that
# held the lock before (one statement that locked and read would read with a snapshot taken before the lock).
CREATE = """
CREATE OR REPLACE FUNCTION sibcase_chain_head(tbl regclass, lock_key bigint) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE head text;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    EXECUTE 'SELECT row_hash FROM ' || tbl::text || ' ORDER BY id DESC LIMIT 1' INTO head;
    RETURN coalesce(head, repeat('0', 64));
END
$$;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS sibcase_chain_head(regclass, bigint)")


class Migration(migrations.Migration):
    dependencies = [("sibcase", "0007_api_tokens")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
