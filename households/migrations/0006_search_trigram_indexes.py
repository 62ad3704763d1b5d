"""Trigram indexes for the household search on PostgreSQL (issue 8; measurements in docs/performance.md).

The search matches any part of a name, a phone number or the end of an ID number (LIKE '%…%'), which no
B-tree index can answer: without these, every search read the whole residents table. pg_trgm's GIN indexes
answer such a pattern of three characters or more from the index. They exist only on PostgreSQL, so this
migration does nothing elsewhere (SQLite reads the table, which is fine at a street's size) and the models do
not declare them. pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. If the
role may not, the migration says so and leaves the indexes out; the search still works, only slower.
"""

from django.db import migrations, transaction

INDEXES = {
    # Django's icontains compares UPPER(column), so the index is on the same expression.
    "resident_name_trgm_idx": "households_resident USING gin (UPPER(name) gin_trgm_ops)",
    "resident_phone_trgm_idx": "households_resident USING gin (phone gin_trgm_ops)",
    "resident_id_number_trgm_idx": "households_resident USING gin (id_number gin_trgm_ops)",
    "household_phone_trgm_idx": "households_household USING gin (phone gin_trgm_ops)",
}


def create_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as error:  # noqa: BLE001 - any refusal means: go on without the indexes
        print(f"\n  pg_trgm unavailable ({error}); the household search will work without its trigram indexes.")
        return
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0005_household_version"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
