"""Link the rows written before the hash chain existed into it, in id order (sibcase/log_chain.py).

The append-only trigger refuses UPDATE, so on PostgreSQL it is switched off for this one transaction by the
migration role (the table owner) and switched on again before commit.
"""

from django.db import migrations

from sibcase.log_chain import GENESIS, row_digest

# The chained fields as of this migration (the models' CHAIN_FIELDS).
CHAINS = {
    "AuditEvent": (
        "occurred_at",
        "actor_id",
        "event_type",
        "object_type",
        "object_id",
        "old_values",
        "new_values",
        "reason",
    ),
    "AccessLogEntry": (
        "occurred_at",
        "user_id",
        "user_role",
        "action",
        "family_id",
        "person_type",
        "person_id",
        "basis",
        "path",
        "recipient",
        "target",
    ),
}


def link_existing_rows(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for model_name, fields in CHAINS.items():
        model = apps.get_model("sibcase", model_name)
        table = model._meta.db_table
        if not model.objects.exists():
            continue
        if postgres:
            schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        head = GENESIS
        batch = []
        for row in model.objects.order_by("id").iterator(chunk_size=2000):
            row.prev_hash = head
            row.row_hash = head = row_digest(prev_hash=head, values={name: getattr(row, name) for name in fields})
            batch.append(row)
            if len(batch) == 2000:
                model.objects.bulk_update(batch, ["prev_hash", "row_hash"])
                batch = []
        model.objects.bulk_update(batch, ["prev_hash", "row_hash"])
        if postgres:
            schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


class Migration(migrations.Migration):
    dependencies = [("sibcase", "0004_log_hash_chain_fields")]
    operations = [migrations.RunPython(link_existing_rows, migrations.RunPython.noop)]
