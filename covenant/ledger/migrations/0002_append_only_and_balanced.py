"""The database's own guard of the ledger: UPDATE/DELETE refused on both tables; on PostgreSQL a
deferred constraint trigger refuses, at commit, any posting whose lines do not balance (or that
has fewer than two lines, or lines of another nation)."""

from typing import Any

from django.db import migrations

from covenant.db.append_only import make_append_only

BALANCE_FUNCTION = """
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger AS $$
DECLARE
  target_entry bigint;
  debits numeric;
  credits numeric;
  line_count integer;
  foreign_lines integer;
BEGIN
  IF TG_TABLE_NAME = 'ledger_ledgerentry' THEN
    target_entry := NEW.id;
  ELSE
    target_entry := NEW.entry_id;
  END IF;
  SELECT COALESCE(SUM(l.debit), 0), COALESCE(SUM(l.credit), 0), COUNT(*),
         COUNT(*) FILTER (WHERE l.nation_id <> e.nation_id)
    INTO debits, credits, line_count, foreign_lines
    FROM ledger_ledgerentry e LEFT JOIN ledger_ledgerline l ON l.entry_id = e.id
   WHERE e.id = target_entry
   GROUP BY e.id;
  IF line_count < 2 OR debits <> credits OR foreign_lines > 0 THEN
    RAISE EXCEPTION 'unbalanced ledger posting %: debits % credits % lines %',
      target_entry, debits, credits, line_count
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


def forward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(BALANCE_FUNCTION, params=None)
    for table in ("ledger_ledgerentry", "ledger_ledgerline"):
        schema_editor.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_balanced AFTER INSERT ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();"
        )


def backward(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in ("ledger_ledgerentry", "ledger_ledgerline"):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_balanced ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS ledger_check_balanced();")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        make_append_only("ledger_ledgerentry", "ledger_ledgerline"),
        migrations.RunPython(forward, backward),
    ]
