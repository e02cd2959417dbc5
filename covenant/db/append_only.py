"""Database triggers that make a table append-only (UPDATE and DELETE refused by the database).

TRUNCATE is not trapped: the test runner empties tables with it between transactional tests,
and it needs table ownership, which the application's database role should not have in
production (see README, "Database roles")."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _forward_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            """
            CREATE OR REPLACE FUNCTION covenant_refuse_change() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
            END $$ LANGUAGE plpgsql;
            """,
            f"""
            CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION covenant_refuse_change();
            """,
        ]
    if vendor == "sqlite":
        return [
            f"""
            CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, 'append-only table {table}: UPDATE refused'); END;
            """,
            f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, 'append-only table {table}: DELETE refused'); END;
            """,
        ]
    return []


def _backward_sql(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {table}_no_update;",
            f"DROP TRIGGER IF EXISTS {table}_no_delete;",
        ]
    return []


def make_append_only(*tables: str) -> migrations.RunPython:
    """A migration operation installing the append-only triggers on each table."""

    def forward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for statement in _forward_sql(schema_editor.connection.vendor, table):
                schema_editor.execute(statement, params=None)

    def backward(apps: Any, schema_editor: Any) -> None:
        for table in tables:
            for statement in _backward_sql(schema_editor.connection.vendor, table):
                schema_editor.execute(statement, params=None)

    return migrations.RunPython(forward, backward)


def drop_append_only_sql(vendor: str, table: str) -> list[str]:
    """For tests that play the attacker: the SQL that removes the protection."""
    return _backward_sql(vendor, table)
