"""Indexes behind the family list's search (PostgreSQL only; SQLite demo data is small).

Django runs `icontains` as UPPER(col::text) LIKE UPPER('%x%') and `iexact` as UPPER(col::text) = UPPER('x'), so
the indexes are on those expressions: trigram GIN for the name searches, btree for reference and district.
pg_trgm is a trusted extension (PostgreSQL 13+): the database owner can create it without superuser rights.
"""

from django.db import migrations

NAME_COLUMNS = [
    ("families_child", "last_name"),
    ("families_child", "first_names"),
    ("families_guardian", "last_name"),
    ("families_guardian", "first_names"),
]

FORWARD = ["CREATE EXTENSION IF NOT EXISTS pg_trgm"]
FORWARD += [
    f"CREATE INDEX IF NOT EXISTS {table}_{column}_upper_trgm ON {table} USING gin (UPPER({column}::text) gin_trgm_ops)"
    for table, column in NAME_COLUMNS
]
FORWARD += [
    "CREATE INDEX IF NOT EXISTS families_family_reference_upper ON families_family (UPPER(reference::text))",
    "CREATE INDEX IF NOT EXISTS families_family_district_upper ON families_family (municipality_id, UPPER(district::text))",
    "CREATE INDEX IF NOT EXISTS families_enrollment_family_status ON families_enrollment (family_id, status)",
]
BACKWARD = [f"DROP INDEX IF EXISTS {table}_{column}_upper_trgm" for table, column in NAME_COLUMNS] + [
    "DROP INDEX IF EXISTS families_family_reference_upper",
    "DROP INDEX IF EXISTS families_family_district_upper",
    "DROP INDEX IF EXISTS families_enrollment_family_status",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("families", "0002_initial")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
