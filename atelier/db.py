"""Database guards that Python alone cannot give."""
from django.db import migrations


def _install(schema_editor, table):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
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
    elif vendor == "sqlite":
        for event in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f'CREATE TRIGGER IF NOT EXISTS "{table}_append_only_{event.lower()}" BEFORE {event} ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, 'table {table} is append-only'); END;"
            )


def _remove(schema_editor, table):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}";')
    elif vendor == "sqlite":
        for event in ("update", "delete"):
            schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only_{event}";')


def append_only(table: str, *, vendors=("postgresql", "sqlite")) -> migrations.RunPython:
    """A migration operation that makes `table` refuse UPDATE and DELETE in the database (a trigger), on
    PostgreSQL and on SQLite, the embedded default. `vendors` limits it (a later migration adds SQLite's
    trigger to tables whose PostgreSQL trigger came earlier).

    TRUNCATE stays allowed on PostgreSQL: it is not reachable from the app and the test database is reset with it.
    """

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor in vendors:
            _install(schema_editor, table)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor in vendors:
            _remove(schema_editor, table)

    return migrations.RunPython(forwards, backwards)
