"""The journal is append-only in the database itself, not just by convention.

PostgreSQL refuses UPDATE and DELETE on journal entries, lines and chain links. SQLite (the
embedded development default) refuses UPDATE; DELETE there is left to the foreign keys (a line or
chain link protects its entry) and to the hash chain, because test database flushes use DELETE.
"""

from django.db import migrations

TABLES = ["wallet_journalentry", "wallet_journalline", "wallet_chainlink"]

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION fuelpay_journal_is_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'fuelpay journal is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
"""


def create_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(POSTGRES_FUNCTION)
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION fuelpay_journal_is_append_only()"
                )
        elif connection.vendor == "sqlite":
            for table in TABLES:
                cursor.execute(
                    f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'fuelpay journal is append-only: UPDATE on {table} refused'); END"
                )


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        for table in TABLES:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only")


class Migration(migrations.Migration):
    dependencies = [("wallet", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
