"""The database's own guard of the votes, on PostgreSQL and SQLite alike:

- the roster and the vote log are append-only (UPDATE and DELETE refused);
- a roster row is written only while its proposal is a draft (i.e. in the transaction that
  opens it), a vote-log entry only while it is open;
- a ballot is written only while its proposal is open; its seat, weight and tracker never
  change; ballots are never deleted;
- a proposal only moves forward (draft → open → closed, or → withdrawn), its text and rule
  are frozen once it leaves the draft, and a closed or withdrawn proposal does not change."""

from typing import Any

from django.db import migrations

from covenant.db.append_only import make_append_only

FROZEN_ONCE_OPEN = (
    "council_id",
    "nation_id",
    "kind",
    "title",
    "body",
    "project_id",
    "amount_usd",
    "quorum",
    "threshold",
    "base",
    "weighting",
    "double_majority",
    "secret_ballot",
    "hide_results_until_close",
    "opens_at",
    "closes_at",
    "proposer",
    "created_at",
    "opened_at",
    "roster_hash",
    "roster_seats",
    "roster_weight_micro",
)
BALLOT_FIXED = ("proposal_id", "nation_id", "seat_code", "weight_micro", "tracker")
FORWARD = (
    "(OLD.status = 'draft' AND NEW.status IN ('draft', 'open', 'withdrawn')) OR "
    "(OLD.status = 'open' AND NEW.status IN ('open', 'closed', 'withdrawn'))"
)

POSTGRES = [
    f"""
    CREATE OR REPLACE FUNCTION governance_proposal_guard() RETURNS trigger AS $$
    BEGIN
      IF OLD.status IN ('closed', 'withdrawn') THEN
        RAISE EXCEPTION 'proposal %: a % proposal does not change', OLD.id, OLD.status
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF NOT ({FORWARD}) THEN
        RAISE EXCEPTION 'proposal %: % to % is not a transition', OLD.id, OLD.status, NEW.status
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF OLD.status <> 'draft' AND
         ({", ".join(f"NEW.{c}" for c in FROZEN_ONCE_OPEN)}) IS DISTINCT FROM
         ({", ".join(f"OLD.{c}" for c in FROZEN_ONCE_OPEN)}) THEN
        RAISE EXCEPTION 'proposal %: its text and rule are frozen once it opens', OLD.id
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER governance_proposal_guard BEFORE UPDATE ON governance_proposal
    FOR EACH ROW EXECUTE FUNCTION governance_proposal_guard();
    """,
    f"""
    CREATE OR REPLACE FUNCTION governance_ballot_guard() RETURNS trigger AS $$
    DECLARE
      proposal_status text;
    BEGIN
      IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ballot %: ballots are never deleted', OLD.id
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      SELECT status INTO proposal_status FROM governance_proposal WHERE id = NEW.proposal_id;
      IF proposal_status IS DISTINCT FROM 'open' THEN
        RAISE EXCEPTION 'ballot of proposal %: the vote is not open (%)',
          NEW.proposal_id, proposal_status USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      IF TG_OP = 'UPDATE' AND
         ({", ".join(f"NEW.{c}" for c in BALLOT_FIXED)}) IS DISTINCT FROM
         ({", ".join(f"OLD.{c}" for c in BALLOT_FIXED)}) THEN
        RAISE EXCEPTION 'ballot %: its seat, weight and tracker do not change', OLD.id
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER governance_ballot_guard BEFORE INSERT OR UPDATE OR DELETE ON governance_ballot
    FOR EACH ROW EXECUTE FUNCTION governance_ballot_guard();
    """,
    """
    CREATE OR REPLACE FUNCTION governance_written_in_state() RETURNS trigger AS $$
    DECLARE
      proposal_status text;
    BEGIN
      SELECT status INTO proposal_status FROM governance_proposal WHERE id = NEW.proposal_id;
      IF proposal_status IS DISTINCT FROM TG_ARGV[0] THEN
        RAISE EXCEPTION '%: written while proposal % is % (only while %)', TG_TABLE_NAME,
          NEW.proposal_id, proposal_status, TG_ARGV[0]
          USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER governance_rosterentry_at_opening BEFORE INSERT ON governance_rosterentry
    FOR EACH ROW EXECUTE FUNCTION governance_written_in_state('draft');
    """,
    """
    CREATE TRIGGER governance_votelogentry_while_open BEFORE INSERT ON governance_votelogentry
    FOR EACH ROW EXECUTE FUNCTION governance_written_in_state('open');
    """,
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS governance_proposal_guard ON governance_proposal;",
    "DROP TRIGGER IF EXISTS governance_ballot_guard ON governance_ballot;",
    "DROP TRIGGER IF EXISTS governance_rosterentry_at_opening ON governance_rosterentry;",
    "DROP TRIGGER IF EXISTS governance_votelogentry_while_open ON governance_votelogentry;",
    "DROP FUNCTION IF EXISTS governance_proposal_guard();",
    "DROP FUNCTION IF EXISTS governance_ballot_guard();",
    "DROP FUNCTION IF EXISTS governance_written_in_state();",
]


def _changed(columns: tuple[str, ...]) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


def _status_of(row: str) -> str:
    return f"(SELECT status FROM governance_proposal WHERE id = {row}.proposal_id)"


SQLITE = [
    """
    CREATE TRIGGER governance_proposal_done BEFORE UPDATE ON governance_proposal
    WHEN OLD.status IN ('closed', 'withdrawn')
    BEGIN SELECT RAISE(ABORT, 'governance_proposal: a closed or withdrawn proposal does not change'); END;
    """,
    f"""
    CREATE TRIGGER governance_proposal_forward BEFORE UPDATE ON governance_proposal
    WHEN NOT ({FORWARD})
    BEGIN SELECT RAISE(ABORT, 'governance_proposal: not a transition'); END;
    """,
    f"""
    CREATE TRIGGER governance_proposal_frozen BEFORE UPDATE ON governance_proposal
    WHEN OLD.status <> 'draft' AND ({_changed(FROZEN_ONCE_OPEN)})
    BEGIN SELECT RAISE(ABORT, 'governance_proposal: its text and rule are frozen once it opens'); END;
    """,
    f"""
    CREATE TRIGGER governance_ballot_insert_open BEFORE INSERT ON governance_ballot
    WHEN {_status_of("NEW")} IS NOT 'open'
    BEGIN SELECT RAISE(ABORT, 'governance_ballot: the vote is not open'); END;
    """,
    f"""
    CREATE TRIGGER governance_ballot_update_open BEFORE UPDATE ON governance_ballot
    WHEN {_status_of("NEW")} IS NOT 'open' OR {_changed(BALLOT_FIXED)}
    BEGIN SELECT RAISE(ABORT, 'governance_ballot: the vote is not open, or a fixed field changed'); END;
    """,
    """
    CREATE TRIGGER governance_ballot_no_delete BEFORE DELETE ON governance_ballot
    BEGIN SELECT RAISE(ABORT, 'governance_ballot: ballots are never deleted'); END;
    """,
    f"""
    CREATE TRIGGER governance_rosterentry_at_opening BEFORE INSERT ON governance_rosterentry
    WHEN {_status_of("NEW")} IS NOT 'draft'
    BEGIN SELECT RAISE(ABORT, 'governance_rosterentry: written only when the proposal opens'); END;
    """,
    f"""
    CREATE TRIGGER governance_votelogentry_while_open BEFORE INSERT ON governance_votelogentry
    WHEN {_status_of("NEW")} IS NOT 'open'
    BEGIN SELECT RAISE(ABORT, 'governance_votelogentry: written only while the vote is open'); END;
    """,
]
SQLITE_TRIGGERS = (
    "governance_proposal_done",
    "governance_proposal_forward",
    "governance_proposal_frozen",
    "governance_ballot_insert_open",
    "governance_ballot_update_open",
    "governance_ballot_no_delete",
    "governance_rosterentry_at_opening",
    "governance_votelogentry_while_open",
)


def forward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    statements = POSTGRES if vendor == "postgresql" else SQLITE if vendor == "sqlite" else []
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backward(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = POSTGRES_BACKWARD
    elif vendor == "sqlite":
        statements = [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]
    else:
        statements = []
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("governance", "0001_initial")]

    operations = [
        make_append_only("governance_rosterentry", "governance_votelogentry"),
        migrations.RunPython(forward, backward),
    ]
