"""Database guards that Python alone cannot give."""
from django.db import migrations


def append_only(table: str) -> migrations.RunPython:
    """A migration operation that makes `table` refuse UPDATE and DELETE on PostgreSQL (a trigger).

    SQLite, the embedded default, gets the Python-level guard only. TRUNCATE stays allowed: it is
    not reachable from the app and the test database is reset with it.
    """

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION atelier_refuse_change() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'table %% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql;
            """,
            params=(),
        )
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
            f"FOR EACH ROW EXECUTE FUNCTION atelier_refuse_change();"
        )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}";')

    return migrations.RunPython(forwards, backwards)
